/**
 * Commands on supervision: park and unpark rigs, pin a rig's patrol tier or its Witness
 * interval, configure the Deacon, restart or nudge a polecat, inject failures (tests and
 * demos), acknowledge and resolve escalations, create and approve gates.
 */
import { z } from 'zod';
import { id, line, TEXT_LIMITS } from '../../contracts/text';
import { BeadId, RigName } from './beads';
import { defineCommand } from './command';

const PolecatId = line({ max: 81 }).regex(/^[a-z0-9][a-z0-9-]{0,39}\/[a-z0-9-]{1,40}$/, 'a polecat id is <rig>/<name>');
const Duration = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a number of milliseconds` })
    .int(`${what} must be a whole number of milliseconds`)
    .min(min, `${what} must be at least ${min} ms`)
    .max(max, `${what} must be at most ${max} ms`);

export const parkRig = defineCommand({
  name: 'rig.park',
  summary: 'Park a rig: no new dispatch, cold-tier health checks only',
  role: 'operator',
  input: z.strictObject({ rig: RigName }),
  run: ({ engine }, { rig }, actor) => engine.supervision.park(rig, actor.name),
});

export const unparkRig = defineCommand({
  name: 'rig.unpark',
  summary: 'Unpark a rig: dispatch and patrols resume',
  role: 'operator',
  input: z.strictObject({ rig: RigName }),
  run: ({ engine }, { rig }, actor) => engine.supervision.unpark(rig, actor.name),
});

export const setTier = defineCommand({
  name: 'rig.tier',
  summary: "Pin a rig's Deacon patrol tier (hot, warm, cold) or return it to auto",
  role: 'operator',
  input: z.strictObject({
    rig: RigName,
    tier: z.enum(['auto', 'hot', 'warm', 'cold'], { error: 'tier is one of auto, hot, warm, cold' }),
  }),
  run: ({ engine }, { rig, tier }) => {
    engine.rigs.require(rig);
    engine.rigs.updateSettings(rig, { tier });
    return { rig, tier, effective: engine.supervision.tier(rig) };
  },
});

export const configureWitness = defineCommand({
  name: 'witness.configure',
  summary: "Set a rig's Witness patrol interval (null: automatic) and stall thresholds",
  role: 'operator',
  input: z
    .strictObject({
      rig: RigName,
      intervalMs: Duration('intervalMs', 1_000, 24 * 3_600_000)
        .nullable()
        .optional(),
      heartbeatTimeoutMs: Duration('heartbeatTimeoutMs', 1_000, 24 * 3_600_000).optional(),
      progressTimeoutMs: Duration('progressTimeoutMs', 1_000, 24 * 3_600_000).optional(),
    })
    .refine((v) => Object.keys(v).length > 1, { message: 'nothing to change' }),
  run: ({ engine }, { rig, intervalMs, ...rest }) => {
    engine.rigs.require(rig);
    const patch = { ...rest, ...(intervalMs !== undefined ? { witnessIntervalMs: intervalMs } : {}) };
    engine.rigs.updateSettings(rig, patch);
    return { rig, ...engine.supervision.witnessStatus(rig) };
  },
});

export const configureDeacon = defineCommand({
  name: 'deacon.configure',
  summary: "Set the Deacon's mode (tiered or sequential), tier cadences, patrol cost and gate fast path",
  role: 'operator',
  input: z
    .strictObject({
      mode: z.enum(['tiered', 'sequential']).optional(),
      tierIntervalsMs: z
        .strictObject({
          hot: Duration('hot interval', 1_000, 24 * 3_600_000),
          warm: Duration('warm interval', 1_000, 24 * 3_600_000),
          cold: Duration('cold interval', 1_000, 24 * 3_600_000),
        })
        .optional(),
      rigPatrolMs: Duration('rigPatrolMs', 0, 3_600_000).optional(),
      gateFastPath: z.boolean().optional(),
    })
    .refine((v) => Object.keys(v).length > 0, { message: 'nothing to change' }),
  run: ({ engine }, { mode, ...rest }, actor) =>
    engine.updateSettings({ ...rest, ...(mode ? { deaconMode: mode } : {}) }, actor.name),
});

export const restartPolecat = defineCommand({
  name: 'polecat.restart',
  summary: 'Restart a polecat on its bead, keeping its worktree',
  role: 'operator',
  input: z.strictObject({ polecat: PolecatId }),
  run: ({ engine }, { polecat }, actor) => engine.supervision.restartPolecat(polecat, actor.name),
});

export const nudgePolecat = defineCommand({
  name: 'polecat.nudge',
  summary: "Nudge a quiet polecat's agent",
  role: 'operator',
  input: z.strictObject({ polecat: PolecatId }),
  run: ({ engine }, { polecat }) => engine.supervision.nudgePolecat(polecat),
});

export const injectFailure = defineCommand({
  name: 'polecat.inject',
  summary: 'Make a scripted polecat hang, die or loop (tests and demos)',
  role: 'operator',
  input: z.strictObject({ polecat: PolecatId, failure: z.enum(['hang', 'die', 'loop']), sticky: z.boolean().default(false) }),
  run: ({ engine }, { polecat, failure, sticky }) => {
    const { appliesTo } = engine.supervision.injectFailure(polecat, failure, sticky);
    return { polecat, failure, sticky, appliesTo };
  },
});

const EscalationId = z.strictObject({ id: id(40) });

export const acknowledgeEscalation = defineCommand({
  name: 'escalation.ack',
  summary: 'Acknowledge an escalation (records who and when)',
  role: 'operator',
  input: EscalationId,
  run: ({ engine }, { id }, actor) => engine.escalations.acknowledge(id, actor.name),
});

export const resolveEscalation = defineCommand({
  name: 'escalation.resolve',
  summary: 'Resolve an escalation',
  role: 'operator',
  input: EscalationId,
  run: ({ engine }, { id }, actor) => engine.escalations.resolve(id, actor.name),
});

export const createGate = defineCommand({
  name: 'gate.create',
  summary: 'Hold beads behind a gate: a timer, merges landed, beads closed, or human approval',
  role: 'operator',
  input: z
    .strictObject({
      kind: z.enum(['timer', 'merge_landed', 'bead_closed', 'human']),
      title: line({ max: TEXT_LIMITS.title, min: 1, minMessage: 'a gate needs a title', trim: true }),
      holds: z.array(BeadId).min(1).max(500),
      beads: z.array(BeadId).max(500).optional(),
      /** For timer gates: engine ms from now. */
      inMs: Duration('inMs', 0, 30 * 24 * 3_600_000).optional(),
      rig: RigName.optional(),
    })
    .refine((v) => v.kind !== 'timer' || v.inMs !== undefined, { message: 'a timer gate needs inMs', path: ['inMs'] }),
  run: ({ engine, clock }, { inMs, ...input }) =>
    engine.gates.create({ ...input, until: inMs === undefined ? null : clock.now() + inMs }),
});

export const approveGate = defineCommand({
  name: 'gate.approve',
  summary: 'Approve (open) a human gate',
  role: 'operator',
  input: z.strictObject({ id: id(40) }),
  run: ({ engine }, { id }, actor) => engine.gates.approve(id, actor.name),
});
