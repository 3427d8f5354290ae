/**
 * Town-wide reads on any node (docs/cluster.md, "Forwarding"): GET /api/rigs, GET
 * /api/status, GET /api/town (the overview), and the merge queue and Refinery stats without
 * `?rig=` cover every rig of the town, each rig as the node that runs it sees it. This node answers
 * for its own rigs and asks every other alive node for theirs (forwarded, so each answers
 * with its own only: no node asks back); a rig nobody answered for is listed as unavailable
 * with the reason. On one server, or without the cluster secret, only this node's rigs.
 */
import type { TownRigsView, UnavailableRigView } from '../../contracts/cluster';
import type { MergeQueueView, RefineryStatsView, StatusView, TownOverview } from '../../contracts/town';
import type { Actor } from '../commands/command';
import type { Queries } from '../runtime';
import type { Forwarder } from './forward';
import type { OtherNodesOverview } from '../queries/town-view';
import { mergeRefineryStats } from './refinery-merge';

export interface TownReadsOptions {
  node: string;
  queries: Pick<Queries, 'overview' | 'status' | 'mergeQueue' | 'refineryStats'>;
  forwarder: Forwarder | null;
}

/** What GET /api/mq answers: the merge queue in landing order, waiting and being merged. */
export interface MergeQueueAnswer {
  pending: MergeQueueView[];
  in_flight: MergeQueueView[];
  /** In a cluster: rigs whose queue no node answered for just now. */
  unavailable_rigs?: UnavailableRigView[];
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
/** Rig by rig (by name, so every node lists alike), each in its landing order. */
const byRigThenPosition = (a: MergeQueueView, b: MergeQueueView) => a.rig.localeCompare(b.rig) || a.position - b.position;

function mergeQueueAnswer(queue: MergeQueueView[]): MergeQueueAnswer {
  return { pending: queue.filter((mr) => mr.status === 'queued'), in_flight: queue.filter((mr) => mr.status === 'merging') };
}

export class TownReads {
  /** Who this node asks the others as when it reads for itself (a page, a stream): a viewer, by its name. */
  readonly self: Actor;

  constructor(private readonly options: TownReadsOptions) {
    this.self = { name: options.node, role: 'viewer' };
  }

  /** Every rig of the town; `forwarded`: another node asks, so this node's own only. */
  async rigs(actor: Actor, forwarded: boolean): Promise<TownRigsView> {
    const { node, queries, forwarder } = this.options;
    const view: TownRigsView = { node, rigs: queries.overview().rigs.map((r) => ({ ...r, node })), unavailable: [] };
    if (!forwarder || forwarded) return view;
    const gathered = await forwarder.gather<TownRigsView>('/api/rigs', actor);
    for (const { node: other, body } of gathered.answers) view.rigs.push(...body.rigs.filter((r) => r.node === other));
    view.rigs.sort(byName);
    view.unavailable = gathered.unavailable(new Set(view.rigs.map((r) => r.name)));
    return view;
  }

  /**
   * The town's status: every node's rigs and agents; the Deacon, escalations and gates are
   * this node's (each node's Deacon patrols the rigs it runs).
   */
  async status(actor: Actor, forwarded: boolean): Promise<StatusView> {
    const { queries, forwarder } = this.options;
    const status = queries.status();
    if (!forwarder || forwarded) return status;
    const gathered = await forwarder.gather<StatusView>('/api/status', actor);
    for (const { node: other, body } of gathered.answers) {
      status.rigs.push(...body.rigs.filter((r) => r.node === other));
      status.agents.total += body.agents.total;
      for (const [state, count] of Object.entries(body.agents.by_state))
        status.agents.by_state[state] = (status.agents.by_state[state] ?? 0) + count;
      status.agents.unhealthy.push(...body.agents.unhealthy);
    }
    status.rigs.sort(byName);
    status.unavailable_rigs = gathered.unavailable(new Set(status.rigs.map((r) => r.name)));
    return status;
  }

  /**
   * The overview (GET /api/town, the overview page and its `town` stream): the other nodes'
   * rigs and Refinery numbers folded into this node's, rigs nobody answered for listed as
   * unavailable (queries/town-view.ts says what stays this node's).
   */
  async overview(actor: Actor = this.self, forwarded = false): Promise<TownOverview> {
    const { queries, forwarder } = this.options;
    if (!forwarder || forwarded) return queries.overview();
    return queries.overview(
      await this.otherNodes(
        actor,
        queries.overview().rigs.map((r) => r.name),
      ),
    );
  }

  /** What the other nodes answer for their rigs' part of the overview; `localRigs`: this node's. */
  async otherNodes(actor: Actor, localRigs: string[]): Promise<OtherNodesOverview> {
    if (!this.options.forwarder) return { parts: [], unavailable: [] };
    const gathered = await this.options.forwarder.gather<TownOverview>('/api/town', actor);
    const parts = gathered.answers.map((a) => a.body);
    const answered = new Set([...localRigs, ...parts.flatMap((p) => p.rigs.map((r) => r.name))]);
    return { parts, unavailable: gathered.unavailable(answered) };
  }

  /**
   * A read of one rig for a page (GET `target`, as this node): `here` when this node answers
   * it; otherwise the owner's answer, null when it has no such thing (404). Any other answer
   * (the owner not alive, unreachable) is thrown with its message, for the page's error.
   */
  async fromOwner<T>(rig: string, target: string): Promise<{ here: true } | { here: false; body: T | null }> {
    const { forwarder } = this.options;
    const answer = forwarder
      ? await forwarder.forRig(rig, { method: 'GET', target, actor: this.self, accept: 'application/json' })
      : null;
    if (!answer) return { here: true };
    if (answer.status === 404) {
      await answer.body?.cancel();
      return { here: false, body: null };
    }
    const body = (await answer.json().catch(() => null)) as (T & { error?: { message?: string } }) | null;
    if (answer.status !== 200) throw new Error(body?.error?.message ?? `rig '${rig}': its node answered ${answer.status}`);
    return { here: false, body };
  }

  /**
   * Whether another node runs (or last ran) `rig`: a page about it is shown here too, its data
   * relayed from that node (or "unavailable" while none is alive to answer).
   */
  async elsewhere(rig: string): Promise<boolean> {
    return this.options.forwarder ? (await this.options.forwarder.place(rig)).at !== 'here' : false;
  }

  /** GET /api/mq: one rig's queue (`rig`, this node's), or every rig's of the town. */
  async mergeQueue(actor: Actor, forwarded: boolean, rig?: string): Promise<MergeQueueAnswer> {
    const { queries, forwarder } = this.options;
    const own = mergeQueueAnswer(queries.mergeQueue(rig));
    if (!forwarder || forwarded || rig !== undefined) return own;
    const gathered = await forwarder.gather<MergeQueueAnswer>('/api/mq', actor);
    const all = [own, ...gathered.answers.map((a) => a.body)];
    return {
      pending: all.flatMap((q) => q.pending).sort(byRigThenPosition),
      in_flight: all.flatMap((q) => q.in_flight).sort(byRigThenPosition),
      unavailable_rigs: gathered.unavailable(gathered.leasedByAnswering()),
    };
  }

  /** The Refinery's numbers over every rig of the town (GET /api/refinery/stats without `?rig=`). */
  async refineryStats(actor: Actor, forwarded: boolean): Promise<RefineryStatsView> {
    const { queries, forwarder } = this.options;
    const own = queries.refineryStats();
    if (!forwarder || forwarded) return own;
    const gathered = await forwarder.gather<RefineryStatsView>('/api/refinery/stats', actor);
    return {
      ...mergeRefineryStats([own, ...gathered.answers.map((a) => a.body)]),
      unavailable_rigs: gathered.unavailable(gathered.leasedByAnswering()),
    };
  }
}
