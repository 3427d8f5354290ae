/**
 * One command API for every operator action. The UI, the JSON API, the CLI and the
 * tests all call `CommandBus.execute`, which in order: finds the command, authorises the
 * actor, validates the input (zod; nothing changes when it fails), runs it, and writes
 * an audit record (also for refusals) plus an `operator.action` event.
 */
import { z } from 'zod';
import { EngineError } from '../engine/errors';
import { auditDigest } from './audit-digest';
import type { Town } from '../engine/town';

export type Role = 'operator' | 'viewer';

export interface Actor {
  name: string;
  role: Role;
}

export interface CommandDefinition<S extends z.ZodType = z.ZodType, O = unknown> {
  name: string;
  summary: string;
  /** Least role allowed to run it. */
  role: Role;
  input: S;
  run(town: Town, input: z.output<S>, actor: Actor): Promise<O> | O;
}

export function defineCommand<S extends z.ZodType, O>(definition: CommandDefinition<S, O>): CommandDefinition<S, O> {
  return definition;
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1 };

/** Turns zod's issues into one sentence an operator can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

export class CommandBus {
  private readonly commands = new Map<string, CommandDefinition>();

  constructor(
    private readonly town: Town,
    definitions: CommandDefinition[],
  ) {
    for (const d of definitions) this.commands.set(d.name, d);
  }

  list(): Array<Pick<CommandDefinition, 'name' | 'summary' | 'role'>> {
    return [...this.commands.values()].map(({ name, summary, role }) => ({ name, summary, role }));
  }

  async execute(name: string, rawInput: unknown, actor: Actor): Promise<unknown> {
    const command = this.commands.get(name);
    try {
      if (!command) throw new EngineError('not_found', `unknown command '${name}'`);
      if (ROLE_RANK[actor.role] < ROLE_RANK[command.role]) {
        throw new EngineError('forbidden', `'${name}' needs the ${command.role} role; ${actor.name} is a ${actor.role}`);
      }
      const parsed = command.input.safeParse(rawInput ?? {});
      if (!parsed.success) throw new EngineError('invalid', describeIssues(parsed.error), parsed.error.issues);
      const result = await command.run(this.town, parsed.data, actor);
      this.audit(name, rawInput, actor, null);
      return result;
    } catch (err) {
      this.audit(name, rawInput, actor, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private audit(action: string, input: unknown, actor: Actor, error: string | null): void {
    const { clock, ctx } = this.town;
    const at = clock.now();
    void ctx.persistence.write((s) =>
      // A digest, not the raw input: bounded, redacted, and safe to serialise (audit-digest.ts).
      s.appendAudit({
        at,
        actor: actor.name,
        role: actor.role,
        action,
        input: auditDigest(input),
        ok: error === null,
        error: error === null ? null : error.slice(0, 2_000),
      }),
    );
    ctx.emit({ type: 'operator.action', at, actor: actor.name, action, ok: error === null });
  }
}
