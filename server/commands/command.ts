/**
 * One command API for every operator action. The UI, the JSON API, the CLI and the
 * tests all call `CommandBus.execute`, which in order: finds the command, authorises the
 * actor, validates the input (zod; nothing changes when it fails), runs it, and writes
 * an audit record (also for refusals) plus an `operator.action` event.
 */
import { z } from 'zod';
import { clip } from '../../contracts/text';
import type { AlertManager } from '../alerts/manager';
import type { Clock } from '../engine/clock';
import { EngineError } from '../engine/errors';
import type { AuditPort, Town } from '../engine/town';
import type { RigCloner } from '../rigs/rig-cloner';
import { auditDigest } from './audit-digest';

export type Role = 'operator' | 'viewer';

export interface Actor {
  name: string;
  role: Role;
}

/** What a command runs against: the engine, the alerting beside it, the audit log and the clock. */
export interface CommandContext {
  engine: Town;
  /** Absent where alerting does not run (some tests, tools): alert commands answer `unavailable`. */
  alerts?: AlertManager;
  audit: AuditPort;
  clock: Clock;
  /** Clones rigs from their upstream (rig.add); absent where no data directory is set up: `unavailable`. */
  rigCloner?: RigCloner;
  /** Cluster mode's controls (docs/cluster.md); absent on a single server: `unavailable`. */
  cluster?: ClusterControl;
}

/** What commands may ask of this node's Ownership. */
export interface ClusterControl {
  moveRig(rig: string, node: string): Promise<{ rig: string; from: string; to: string; epoch: number }>;
  /** Refuses (409) a new rig's name another node's rig already has: this node's memory does not know those. */
  checkNewRigName(name: string): Promise<void>;
  /** The node a new rig goes to: `asked` checked (404 unknown, 409 dead), else the live node with the fewest polecats. */
  placeNewRig(asked?: string): Promise<string>;
  /** This node's name. */
  readonly node: string;
}

export interface CommandDefinition<S extends z.ZodType, O> {
  name: string;
  summary: string;
  /** Least role allowed to run it. */
  role: Role;
  input: S;
  run(context: CommandContext, input: z.output<S>, actor: Actor): Promise<O> | O;
}

/** A command with its input type erased: parsing and running are bound together. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly role: Role;
  readonly input: z.ZodType;
  /** Validates `rawInput` (an `invalid` error when it does not parse; nothing runs) and runs. */
  execute(context: CommandContext, rawInput: unknown, actor: Actor): Promise<unknown>;
}

export function defineCommand<S extends z.ZodType, O>(definition: CommandDefinition<S, O>): Command {
  const { name, summary, role, input } = definition;
  return {
    name,
    summary,
    role,
    input,
    async execute(context, rawInput, actor) {
      const parsed = input.safeParse(rawInput ?? {});
      if (!parsed.success) throw new EngineError('invalid', describeIssues(parsed.error), parsed.error.issues);
      return definition.run(context, parsed.data, actor);
    },
  };
}

/** The alert manager of the context, or `unavailable` where alerting does not run. */
export function alertsOf(context: CommandContext): AlertManager {
  if (!context.alerts) throw new EngineError('unavailable', 'alerting is not running in this process');
  return context.alerts;
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1 };

/** Turns zod's issues into one sentence an operator can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

export class CommandBus {
  private readonly commands = new Map<string, Command>();

  constructor(
    private readonly context: CommandContext,
    definitions: Command[],
  ) {
    for (const d of definitions) this.commands.set(d.name, d);
  }

  list(): Array<Pick<Command, 'name' | 'summary' | 'role'>> {
    return [...this.commands.values()].map(({ name, summary, role }) => ({ name, summary, role }));
  }

  async execute(name: string, rawInput: unknown, actor: Actor): Promise<unknown> {
    const command = this.commands.get(name);
    try {
      if (!command) throw new EngineError('not_found', `unknown command '${name}'`);
      if (ROLE_RANK[actor.role] < ROLE_RANK[command.role]) {
        throw new EngineError('forbidden', `'${name}' needs the ${command.role} role; ${actor.name} is a ${actor.role}`);
      }
      // Fail-stop (engine/persistence.ts): once a store write failed, memory and disk may
      // differ, so nothing is taken until a restart; and a command only answers ok once
      // the writes it queued have landed.
      const { engine } = this.context;
      if (engine.stopped) throw engine.refusal();
      const result = await command.execute(this.context, rawInput, actor);
      await engine.written();
      if (engine.stopped) throw engine.refusal();
      this.audit(name, rawInput, actor, null);
      return result;
    } catch (err) {
      this.audit(name, rawInput, actor, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private audit(action: string, input: unknown, actor: Actor, error: string | null): void {
    const { clock, audit } = this.context;
    const at = clock.now();
    // A digest, not the raw input: bounded, redacted, and safe to serialise (audit-digest.ts).
    audit.append({
      at,
      actor: actor.name,
      role: actor.role,
      action,
      input: auditDigest(input),
      ok: error === null,
      // clip, not slice: half a surrogate pair is a value the store refuses.
      error: error === null ? null : clip(error, 2_000),
    });
  }
}
