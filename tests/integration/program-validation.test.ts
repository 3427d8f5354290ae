/**
 * Agent commands (`agent.configure`) and Refinery checks (`refinery.configure`) are
 * validated by the same rule (server/agents/program.ts): a program that could only fail
 * every later bead or merge is refused with a 400 naming the field, and nothing changes.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCommandBus } from '../../server/commands';
import type { Actor } from '../../server/commands/command';
import type { Town } from '../../server/engine/town';
import { createHarness, type Harness } from '../support/engine-harness';

const operator: Actor = { name: 'ada', role: 'operator' };

/** The same command line as each command's input. */
const forms = {
  'agent.configure': (command: string[]) => ({ agent: { kind: 'command', command } }),
  'refinery.configure': (command: string[]) => ({ checks: [{ name: 'test', command, timeoutMs: 60_000 }] }),
} as const;
const field = { 'agent.configure': 'agent.command', 'refinery.configure': 'checks.0.command' } as const;

describe.each(Object.keys(forms) as (keyof typeof forms)[])('%s', (name) => {
  let h: Harness;
  let town: Town;
  afterEach(async () => {
    await town?.stop();
    await h?.cleanup();
  });

  async function attempt(command: string[]) {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    const plain = path.join(h.dir, 'not-executable.sh');
    await writeFile(plain, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const argv = command.map((a) => a.replace('{plainFile}', plain));
    const before = structuredClone(town.rigs.get('myproject')!.settings);
    const bus = createCommandBus({ engine: town });
    const outcome = await bus.execute(name, { rig: 'myproject', ...forms[name](argv) }, operator).then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    return { outcome, before, after: town.rigs.get('myproject')!.settings };
  }

  it.each([
    [[], /(command is empty|needs a program to run)/, ''],
    [[''], /the command needs a program/, '.0'],
    [['  '], /the command needs a program/, '.0'],
    [['ev\0il'], /NUL characters/, '.0'],
    [['node', 'a\0b'], /NUL characters/, '.1'],
    [['../outside/check.sh'], /outside the rig's repository/, '.0'],
    [['scripts/../../check.sh'], /outside the rig's repository/, '.0'],
    [['/tmp'], /'\/tmp' is not an executable file/, '.0'],
    [['/no/such/program'], /is not an executable file/, '.0'],
    [['{plainFile}'], /is not an executable file/, '.0'],
  ])('refuses %j with a 400 naming the field, changing nothing', async (command, message, at) => {
    const { outcome, before, after } = await attempt(command);
    expect(outcome?.code).toBe('invalid');
    expect(outcome?.message).toMatch(message);
    expect(outcome?.message).toContain(`${field[name]}${at}:`);
    expect(after).toEqual(before);
  });

  it.each([[['npm', 'test']], [['scripts/check.sh', '--ci']], [['/bin/sh', '-c', 'exit 0']]])('accepts %j', async (command) => {
    const { outcome, after } = await attempt(command);
    expect(outcome).toBeNull();
    if (name === 'agent.configure') expect(after.agent).toEqual({ kind: 'command', command });
    else expect(after.checks.map((g) => g.command)).toEqual([command]);
  });
});
