/**
 * Typed domain events: every state change in the engine, stamped with the engine clock's
 * time. The store persists them, the activity page lists them and the live streams push
 * them to browsers, so their shapes are part of the API. The bus that carries them is
 * server/engine/events.ts.
 */
import type { BeadStatus, MergeRequestStatus, PolecatState, Rig } from './records';

type AgentOutcomeKind = 'committed' | 'failed' | 'cancelled';

interface Base {
  /** Engine-clock time of the change, ms. */
  at: number;
}

export type DomainEvent =
  | (Base & { type: 'rig.added'; rig: string; repoPath: string })
  /**
   * A rig's clone from its upstream moving on (`gt rig add`): git's phase and percent.
   * Published live only, never stored: a clone prints hundreds of these.
   */
  | (Base & { type: 'rig.clone_progress'; rig: string; phase: string; percent: number })
  /** A rig was removed: detached, its worktrees gone; its history stays. */
  | (Base & { type: 'rig.removed'; rig: string; purged: boolean; by: string })
  /** A stored rig's runtime started in this engine (on open, or attached while running). */
  | (Base & { type: 'rig.attached'; rig: string; polecats: number; beads: number; mergeRequests: number })
  /** A rig's runtime was drained and released from this engine; its records stay in the store. */
  | (Base & { type: 'rig.detached'; rig: string; polecats: number; beads: number; mergeRequests: number })
  | (Base & { type: 'rig.settings_changed'; rig: string; settings: Rig['settings'] })
  | (Base & {
      type: 'rig.split';
      rig: string;
      into: string[];
      /** False when the rig stays as the integration rig. */
      retired: boolean;
      beads: number;
      mergeRequests: number;
      polecats: number;
      by: string;
    })
  | (Base & {
      type: 'rig.merged';
      rig: string;
      from: string[];
      beads: number;
      mergeRequests: number;
      polecats: number;
      by: string;
    })
  | (Base & { type: 'polecat.added'; rig: string; polecat: string })
  /** A polecat removed with its worktree; `returned`: the bead `--force` gave back to the queue. */
  | (Base & { type: 'polecat.removed'; rig: string; polecat: string; returned: string | null; by: string })
  | (Base & { type: 'polecat.moved'; rig: string; from: string; polecat: string })
  /** A moved polecat took the id, branch and worktree of the rig it is in; `was`: its old id. */
  | (Base & { type: 'polecat.renamed'; rig: string; polecat: string; was: string })
  | (Base & { type: 'polecat.removed'; rig: string; polecat: string })
  | (Base & {
      type: 'polecat.state_changed';
      rig: string;
      polecat: string;
      from: PolecatState;
      to: PolecatState;
      bead: string | null;
    })
  | (Base & { type: 'polecat.committed'; rig: string; polecat: string; bead: string; head: string })
  | (Base & {
      type: 'agent.usage';
      rig: string;
      polecat: string;
      bead: string;
      inputTokens: number;
      outputTokens: number;
      model: string;
    })
  | (Base & {
      type: 'agent.failed';
      rig: string;
      polecat: string;
      bead: string;
      reason: string;
      /** Failed attempts of this bead so far (absent in events from before it was recorded). */
      attempt?: number;
      /** Engine time before which the bead is not dispatched again; null: escalated instead. */
      retryAt?: number | null;
    })
  /** An external agent's run ended without a single usage line: its tokens and cost are unknown. */
  | (Base & { type: 'agent.unmetered'; rig: string; polecat: string; bead: string; outcome: AgentOutcomeKind })
  | (Base & { type: 'bead.created'; rig: string; bead: string; title: string; convoy: string | null })
  | (Base & { type: 'bead.status_changed'; rig: string; bead: string; from: BeadStatus; to: BeadStatus })
  | (Base & { type: 'convoy.created'; convoy: string; title: string; beads: number })
  | (Base & { type: 'convoy.landed'; convoy: string })
  | (Base & { type: 'convoy.dispatched'; convoy: string; waveSize: number | null; waves: number; by: string })
  | (Base & { type: 'convoy.restaggered'; convoy: string; waveSize: number | null; replanned: number; by: string })
  | (Base & { type: 'convoy.changed'; convoy: string; added: string[]; removed: string[] })
  | (Base & { type: 'wave.started'; convoy: string; wave: number })
  | (Base & {
      type: 'wave.landed';
      convoy: string;
      wave: number;
      merged: number;
      conflicts: number;
      rejections: number;
      /** Engine ms from the wave's first dispatch to its last landing. */
      durationMs: number;
    })
  | (Base & { type: 'polecat.retry_loop'; rig: string; polecat: string; tokensWithoutProgress: number })
  | (Base & { type: 'mayor.dispatched'; assignments: number; decisionMs: number })
  | (Base & {
      type: 'mr.enqueued';
      rig: string;
      mr: string;
      bead: string;
      polecat: string;
      attempt: number;
    })
  | (Base & {
      type: 'mr.state_changed';
      rig: string;
      mr: string;
      from: MergeRequestStatus;
      to: MergeRequestStatus;
    })
  | (Base & {
      type: 'mr.merged';
      rig: string;
      mr: string;
      bead: string;
      mergeCommit: string;
      attempts: number;
      /** Engine ms from first enqueue to landing. */
      queueMs: number;
      /** Real ms the git merge path took (merge-tree, writing the merge commit, update-ref). */
      mergeMs: number;
    })
  | (Base & { type: 'mr.conflicted'; rig: string; mr: string; bead: string; files: string[]; attempts: number })
  | (Base & { type: 'mr.requeued'; rig: string; mr: string; reason: string })
  | (Base & {
      type: 'mr.rejected';
      rig: string;
      mr: string;
      bead: string;
      /** The check (a Refinery validation command) that failed; events stored before the
       * rename carry it as `gate`, read back as `check`. */
      check: string;
      /** Tail of the check's output (bounded). */
      output: string;
      attempts: number;
    })
  | (Base & { type: 'mr.escalated'; rig: string; mr: string; bead: string; attempts: number; reason: string })
  | (Base & {
      type: 'refinery.validated';
      rig: string;
      mr: string;
      slot: number;
      ok: boolean;
      /** Real ms the checks took. */
      durationMs: number;
      /** How many requests this check run covered (1, or a batch). */
      covers: number;
    })
  | (Base & { type: 'refinery.workers_changed'; rig: string; from: number; to: number; actor: string })
  | (Base & {
      type: 'witness.detected';
      rig: string;
      polecat: string;
      kind: 'unresponsive' | 'stalled' | 'zombie';
      /** Engine ms since the last heartbeat (unresponsive, zombie) or progress (stalled). */
      idleMs: number;
      action: 'nudge' | 'restart' | 'escalate';
      strikes: number;
    })
  | (Base & { type: 'witness.patrolled'; rig: string; checked: number; findings: number; intervalMs: number })
  | (Base & { type: 'polecat.recovered'; rig: string; polecat: string })
  | (Base & { type: 'polecat.restarted'; rig: string; polecat: string; bead: string | null; by: string })
  | (Base & { type: 'polecat.failure_injected'; rig: string; polecat: string; failure: string; sticky: boolean })
  | (Base & {
      type: 'deacon.patrolled';
      rig: string;
      tier: 'hot' | 'warm' | 'cold';
      /** Engine ms the rig's patrol took. */
      durationMs: number;
      gatesOpened: number;
      findings: string[];
    })
  | (Base & { type: 'deacon.cycle'; tier: 'hot' | 'warm' | 'cold' | 'all'; rigs: number; durationMs: number })
  | (Base & { type: 'gate.created'; gate: string; kind: string; title: string; holds: number; rig: string | null })
  | (Base & {
      type: 'gate.opened';
      gate: string;
      kind: string;
      rig: string | null;
      /** Engine ms from the moment the gate could open to the moment it opened. */
      latencyMs: number;
      by: string;
    })
  | (Base & { type: 'rig.status_changed'; rig: string; from: string; to: string; by: string })
  | (Base & { type: 'town.settings_changed'; by: string })
  | (Base & { type: 'escalation.reescalated'; escalation: string; from: string; to: string })
  | (Base & { type: 'escalation.acknowledged'; escalation: string; by: string })
  | (Base & { type: 'escalation.resolved'; escalation: string; by: string })
  | (Base & {
      type: 'escalation.raised';
      escalation: string;
      severity: string;
      source: string;
      reason: string;
      rig: string | null;
    })
  | (Base & { type: 'refinery.ref_moved'; rig: string; mr: string; reason: string })
  | (Base & { type: 'town.started'; rigs: number; polecats: number; resumed: boolean })
  | (Base & { type: 'operator.action'; actor: string; action: string; ok: boolean });

export type DomainEventType = DomainEvent['type'];
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
