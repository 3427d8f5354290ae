/**
 * The command API refuses bad input with a typed error and changes nothing: the Refinery's
 * scale action, its checks (and their deprecated name `gates`), supervision settings, and
 * the audit record every attempt leaves.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandBus } from '../../server/commands';
import type { Actor, CommandBus } from '../../server/commands/command';
import type { Town } from '../../server/engine/town';
import { createHarness, type Harness } from '../support/engine-harness';

const operator: Actor = { name: 'ada', role: 'operator' };
const viewer: Actor = { name: 'vic', role: 'viewer' };

describe('the command API', () => {
  let h: Harness;
  let town: Town;
  let bus: CommandBus;
  beforeEach(async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    bus = createCommandBus({ engine: town });
  });
  afterEach(async () => {
    await town.stop();
    await h.cleanup();
  });

  const refusal = (name: string, input: unknown, actor = operator) =>
    bus.execute(name, input, actor).then(
      () => null,
      (err: { code: string; message: string }) => ({ code: err.code, message: err.message }),
    );

  it('scales the Refinery and records who did it', async () => {
    await expect(bus.execute('refinery.scale', { rig: 'myproject', workers: 3 }, operator)).resolves.toEqual({
      rig: 'myproject',
      refineryWorkers: 3,
    });
    await town.settle();
    const [audit] = await h.store.listAudit(1);
    expect(audit).toMatchObject({ actor: 'ada', action: 'refinery.scale', ok: true });
  });

  it.each([
    [{ rig: 'myproject', workers: 0 }, 'invalid', /at least 1/],
    [{ rig: 'myproject', workers: 17 }, 'invalid', /at most 16/],
    [{ rig: 'myproject', workers: 2.5 }, 'invalid', /whole number/],
    [{ rig: 'myproject', workers: 'three' }, 'invalid', /must be a number/],
    [{ rig: 'nope', workers: 2 }, 'not_found', /rig 'nope' does not exist/],
    [{ rig: 'myproject' }, 'invalid', /workers/],
  ])('refuses scale input %j and changes nothing', async (input, code, message) => {
    const err = await refusal('refinery.scale', input);
    expect(err?.code).toBe(code);
    expect(err?.message).toMatch(message);
    expect(town.rigs.get('myproject')!.settings.refineryWorkers).toBe(1);
  });

  it.each([
    [
      {
        rig: 'myproject',
        partitions: [
          { name: 'a', globs: ['core/**'] },
          { name: 'b', globs: ['core/**/*.ts'] },
        ],
      },
      'invalid',
      /overlap/,
    ],
    [
      {
        rig: 'myproject',
        partitions: [
          { name: 'a', globs: ['core/**'] },
          { name: 'b', globs: [] },
        ],
      },
      'invalid',
      /no globs/,
    ],
    [{ rig: 'myproject', partitions: [] }, 'invalid', /at least one partition/],
    [{ rig: 'myproject', partitions: [{ name: 'a', globs: ['core/../../etc/**'] }] }, 'invalid', /'\.\.' segment/],
    [
      {
        rig: 'myproject',
        partitions: [
          { name: 'a', globs: ['core/**'] },
          { name: 'a', globs: ['ui/**'] },
        ],
      },
      'invalid',
      /named 'a'/,
    ],
    [{ rig: 'myproject', partitions: [{ name: 'myproject', globs: ['core/**'] }] }, 'invalid', /own name/],
    [{ rig: 'nope', partitions: [{ name: 'a', globs: ['core/**'] }] }, 'not_found', /rig 'nope' does not exist/],
    [{ rig: 'myproject', partitions: [{ name: 'A B', globs: ['core/**'] }] }, 'invalid', /lower-case/],
  ])('refuses split request %j and changes nothing', async (input, code, message) => {
    const err = await refusal('rig.split', input);
    expect(err?.code).toBe(code);
    expect(err?.message).toMatch(message);
    expect(town.rigs.list().map((r) => [r.name, r.status])).toEqual([['myproject', 'active']]);
  });

  it.each([
    ['rig.tier', { rig: 'myproject', tier: 'lukewarm' }, 'invalid'],
    ['rig.tier', { rig: 'nope', tier: 'hot' }, 'not_found'],
    ['witness.configure', { rig: 'myproject', intervalMs: 0 }, 'invalid'],
    ['witness.configure', { rig: 'myproject', intervalMs: -5_000 }, 'invalid'],
    ['witness.configure', { rig: 'nope', intervalMs: 60_000 }, 'not_found'],
    ['rig.park', { rig: 'nope' }, 'not_found'],
    ['deacon.configure', { rigPatrolMs: -1 }, 'invalid'],
    ['deacon.configure', { mode: 'round-robin' }, 'invalid'],
    ['polecat.restart', { polecat: 'myproject/ghost' }, 'not_found'],
    ['escalation.ack', { id: 'esc-nope' }, 'not_found'],
    ['gate.create', { kind: 'timer', title: 't', holds: ['gt-none'] }, 'invalid'],
  ])('refuses %s with %j as %s and changes nothing', async (name, input, code) => {
    const before = structuredClone(town.rigs.get('myproject'));
    const settings = structuredClone(town.settings);
    expect((await refusal(name, input))?.code).toBe(code);
    expect(town.rigs.get('myproject')).toEqual(before);
    expect(town.settings).toEqual(settings);
  });

  const lint = { name: 'lint', command: ['sh', '-c', 'exit 0'], timeoutMs: 60_000 };
  const tests = { name: 'tests', command: ['git', 'status'], timeoutMs: 120_000 };

  it('sets the Refinery checks from `checks` and answers without a deprecation', async () => {
    const answer = await bus.execute('refinery.configure', { rig: 'myproject', checks: [lint] }, operator);
    expect(answer).toMatchObject({ rig: 'myproject', settings: { checks: [lint] } });
    expect(answer).not.toHaveProperty('deprecations');
    expect(town.rigs.get('myproject')!.settings.checks).toEqual([lint]);
  });

  it('takes the old name `gates` as the checks and says it is deprecated when given', async () => {
    const answer = await bus.execute('refinery.configure', { rig: 'myproject', gates: [tests] }, operator);
    expect(answer).toEqual({
      rig: 'myproject',
      settings: expect.objectContaining({ checks: [tests] }),
      deprecations: ["'gates' is now 'checks'; 'gates' will be removed"],
    });
    expect(town.rigs.get('myproject')!.settings.checks).toEqual([tests]);
    expect(town.rigs.get('myproject')!.settings).not.toHaveProperty('gates');
  });

  it.each([
    [{ rig: 'myproject', checks: [lint], gates: [tests] }, /'checks' or the deprecated 'gates', not both/],
    [{ rig: 'myproject', checks: [lint, lint] }, /check names must be unique/],
    [
      { rig: 'myproject', gates: [{ ...lint, command: ['/no/such/program-gt'] }] },
      /gates\.0\.command\.0: '\/no\/such\/program-gt' is not an executable/,
    ],
  ])('refuses checks input %j and changes nothing', async (input, message) => {
    await bus.execute('refinery.configure', { rig: 'myproject', checks: [tests] }, operator);
    const before = structuredClone(town.rigs.get('myproject'));
    const err = await refusal('refinery.configure', input);
    expect(err?.code).toBe('invalid');
    expect(`${err?.message}`).toMatch(message);
    expect(town.rigs.get('myproject')).toEqual(before);
  });

  const setup = { command: ['git', '--version'], timeoutMs: 600_000, inputs: ['package-lock.json', 'web/yarn.lock'] };

  it('sets and removes the setup step', async () => {
    const answer = await bus.execute('refinery.configure', { rig: 'myproject', checks: [lint], setup }, operator);
    expect(answer).toMatchObject({ settings: { checks: [lint], setup } });
    expect(town.rigs.get('myproject')!.settings.setup).toEqual(setup);
    await bus.execute('refinery.configure', { rig: 'myproject', setup: null }, operator);
    expect(town.rigs.get('myproject')!.settings.setup).toBeNull();
  });

  it.each([
    [{ setup: { ...setup, command: [] } }, /a setup needs a program to run/],
    [
      { setup: { ...setup, command: ['/no/such/installer-gt'] } },
      /setup\.command\.0: '\/no\/such\/installer-gt' is not an executable/,
    ],
    [{ setup: { ...setup, inputs: ['../outside.lock'] } }, /a path inside the repository/],
    [{ setup: { ...setup, inputs: ['/etc/passwd'] } }, /a path inside the repository/],
    [{ setup: { ...setup, inputs: ['--output=x'] } }, /a path inside the repository/],
    [{ setup: { ...setup, inputs: [':(glob)**'] } }, /a path inside the repository/],
    [{ setup: { ...setup, inputs: ['a.lock', 'a.lock'] } }, /setup inputs must be unique/],
    [{ setup: { ...setup, timeoutMs: 10 } }, /setup\.timeoutMs/],
    [{ setup: { ...setup, shell: 'npm ci' } }, /shell/],
    [{ setup: 'npm ci' }, /setup/],
  ])('refuses setup input %j and changes nothing', async (input, message) => {
    await bus.execute('refinery.configure', { rig: 'myproject', checks: [tests], setup }, operator);
    const before = structuredClone(town.rigs.get('myproject'));
    const err = await refusal('refinery.configure', { rig: 'myproject', ...input });
    expect(err?.code).toBe('invalid');
    expect(`${err?.message}`).toMatch(message);
    expect(town.rigs.get('myproject')).toEqual(before);
  });

  it('lets a viewer read but not act', async () => {
    expect((await refusal('refinery.scale', { rig: 'myproject', workers: 2 }, viewer))?.code).toBe('forbidden');
    expect(town.rigs.get('myproject')!.settings.refineryWorkers).toBe(1);
    await town.settle();
    const [audit] = await h.store.listAudit(1);
    expect(audit).toMatchObject({ actor: 'vic', ok: false });
  });

  it('refuses polecat.inject on a polecat without a live session (409 with the reason) and audits the refusal', async () => {
    await town.polecats.add('myproject', 1); // idle: no bead, no session
    const err = await refusal('polecat.inject', { polecat: 'myproject/furiosa', failure: 'die' });
    expect(err).toEqual({
      code: 'conflict',
      message: expect.stringMatching(/has no live agent session \(it is idle\): nothing to die/),
    });
    await town.settle();
    const [audit] = await h.store.listAudit(1);
    expect(audit).toMatchObject({ action: 'polecat.inject', ok: false });
    // A sticky failure waits for its next session, and says so.
    await expect(
      bus.execute('polecat.inject', { polecat: 'myproject/furiosa', failure: 'die', sticky: true }, operator),
    ).resolves.toMatchObject({ appliesTo: 'next session' });
  });

  it('pins a tier and a Witness interval', async () => {
    await bus.execute('rig.tier', { rig: 'myproject', tier: 'cold' }, operator);
    expect(town.supervision.tier('myproject')).toBe('cold');
    await bus.execute('witness.configure', { rig: 'myproject', intervalMs: 60_000 }, operator);
    expect(town.supervision.witnessStatus('myproject').intervalMs).toBe(60_000);
    await bus.execute('witness.configure', { rig: 'myproject', intervalMs: null }, operator);
    expect(town.supervision.witnessStatus('myproject').intervalMs).toBe(5 * 60_000);
  });

  it.each([
    ['rig.fetch', { rig: 'myproject' }, 'conflict', /lands locally/],
    ['rig.fetch', { rig: 'nope' }, 'not_found', /rig 'nope' does not exist/],
    ['rig.upstream', { rig: 'myproject', pushBranches: true }, 'conflict', /lands locally/],
    ['rig.upstream', { rig: 'myproject', fetchIntervalMs: 1_000 }, 'invalid', /at most every 5 s/],
    ['rig.upstream', { rig: 'myproject', pushBranches: 'yes' }, 'invalid', /true or false/],
    ['rig.upstream', { rig: 'myproject' }, 'invalid', /nothing to change/],
  ])('refuses %s %j on a rig landing locally and changes nothing', async (name, input, code, message) => {
    const before = structuredClone(town.rigs.get('myproject')!.settings);
    const err = await refusal(name, input);
    expect(err?.code).toBe(code);
    expect(err?.message).toMatch(message);
    expect(town.rigs.get('myproject')!.settings).toEqual(before);
  });
});
