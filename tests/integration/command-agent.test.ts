/**
 * External agents as polecats, with real child processes: small scripts in
 * tests/fixtures/agents act as coding-agent CLIs (one commits, one hangs, one crashes,
 * one loops printing usage, one prints malformed usage). The engine runs on virtual
 * time over real git; the agents take real time, so the driver below advances the
 * clock in steps and gives the processes real milliseconds in between.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { readLogTail, polecatAgentDir } from '../../server/agents/agent-log';
import { CommandAgentRuntime } from '../../server/agents/command-agent';
import { RigAgentRuntime } from '../../server/agents/rig-runtime';
import { ScriptedAgentRuntime } from '../../server/agents/scripted-agent';
import { createCommandBus } from '../../server/commands';
import type { Actor } from '../../server/commands/command';
import type { DomainEvent, EventOf } from '../../contracts/events';
import type { RigSettings } from '../../contracts/records';
import type { Town } from '../../server/engine/town';
import { runGit } from '../../server/git/run-git';
import { costsView } from '../../server/queries/costs-view';
import { createHarness, type Harness } from '../support/engine-harness';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/agents');
const agentScript = (name: string) => [process.execPath, path.join(FIXTURES, `${name}.mjs`)];
const operator: Actor = { name: 'ada', role: 'operator' };

function eventsOf<T extends DomainEvent['type']>(events: DomainEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Captured {
  pid: number;
  cwd: string;
  argv: string[];
  env: Record<string, string>;
  prompt: string;
  startedAt: number;
  endedAt?: number;
}

interface Run {
  h: Harness;
  town: Town;
  events: DomainEvent[];
  capture: string;
  logRoot: string;
  /** Advances engine time by `stepMs` per ~20 real ms until `done` or `realMs` passed. */
  until(done: () => boolean, realMs?: number, stepMs?: number): Promise<void>;
  captured(): Promise<Captured[]>;
}

async function start(command: string[], settings: Partial<RigSettings> = {}, polecats = 1): Promise<Run> {
  let capture = '';
  let logRoot = '';
  const h = await createHarness({
    agents: (clock, git, dir) => {
      capture = path.join(dir, 'capture');
      logRoot = path.join(dir, 'agents');
      return new RigAgentRuntime(
        new ScriptedAgentRuntime({ clock, git }),
        new CommandAgentRuntime({ logRoot, progressPollMs: 50, killGraceMs: 300, env: { GT_TEST_CAPTURE: capture } }),
      );
    },
  });
  const town = await h.open();
  // The agents may run as another user (a server running as root: spawner/sandbox.ts).
  await mkdir(capture, { recursive: true });
  await chmod(capture, 0o777);
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  await town.rigs.add({
    name: 'myproject',
    repoPath: h.repoPath,
    settings: {
      agent: { kind: 'command', command },
      heartbeatTimeoutMs: 10 * 60_000,
      progressTimeoutMs: 30 * 60_000,
      ...settings,
    },
  });
  await town.polecats.add('myproject', polecats);
  return {
    h,
    town,
    events,
    capture,
    logRoot,
    async until(done, realMs = 20_000, stepMs = 1_000) {
      const deadline = Date.now() + realMs;
      while (!done() && Date.now() < deadline) {
        await h.clock.advance(stepMs, () => town.settle());
        await realSleep(20);
      }
      await town.settle();
    },
    async captured() {
      const files = (await readdir(capture)).filter((f) => f.endsWith('.json'));
      return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(capture, f), 'utf8')) as Captured));
    },
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a rig running a command agent', () => {
  let run: Run | undefined;
  afterEach(async () => {
    await run?.town.stop();
    await run?.h.cleanup();
    run = undefined;
  });

  it('runs a convoy end to end: the agent edits and commits, its branches land, usage is priced', async () => {
    run = await start(agentScript('commit-agent'), { maxConcurrency: 2 }, 3);
    const { town, events } = run;
    const titles = ['parse the config', 'render the table', 'export as CSV', 'add a --json flag'];
    const convoy = town.convoys.create(
      'agent convoy',
      titles.map((title) => ({ rig: 'myproject', title })),
    );
    town.start();
    await run.until(() => eventsOf(events, 'convoy.landed').length > 0, 40_000);

    expect(eventsOf(events, 'convoy.landed')).toMatchObject([{ convoy: convoy.id }]);
    expect((await run.h.store.getConvoy(convoy.id))?.status).toBe('landed');
    // Every bead's edit is on main, each landed through its own merge request.
    const { stdout: tree } = await runGit(['ls-tree', '-r', '--name-only', 'main', 'agent-notes'], { cwd: run.h.repoPath });
    expect(tree.split('\n').filter(Boolean).sort()).toEqual(convoy.beadIds.map((id) => `agent-notes/${id}.md`).sort());
    expect(eventsOf(events, 'mr.merged').length).toBe(4);
    expect(eventsOf(events, 'agent.failed')).toEqual([]);
    // Usage lines became token and cost records: 4 beads x 1500 tokens at Sonnet prices.
    await town.settle();
    const usage = await run.h.store.listUsage({});
    expect(usage.reduce((n, u) => n + u.inputTokens + u.outputTokens, 0)).toBe(4 * 1500);
    expect(usage.every((u) => u.model === 'claude-sonnet-4-5' && u.costUsd !== null && u.costUsd > 0)).toBe(true);
    expect((await costsView(town, run.h.store, 'rig', 'today')).unmetered.runs).toBe(0);
    // maxConcurrency 2: never three agents at once, though three polecats were idle.
    const runs = (await run.captured()).map((c) => [c.startedAt, c.endedAt ?? Infinity] as const);
    const overlap = Math.max(...runs.map(([s]) => runs.filter(([a, b]) => a <= s && s < b).length));
    expect(overlap).toBeLessThanOrEqual(2);
    // The log tail shows what the agent printed and how its run ended.
    const tail = await readLogTail(polecatAgentDir(run.logRoot, 'myproject', 'furiosa'));
    expect(tail.text).toMatch(/working on gt-/);
    expect(tail.text).toMatch(/exited 0 with commit [0-9a-f]{12}; 1 usage lines/);
  });

  it('sends a conflicting branch back to its agent, which redoes the bead on the new target', async () => {
    run = await start([...agentScript('commit-agent'), '--shared'], {}, 2);
    const { town, events } = run;
    const beads = [
      town.beads.create({ rig: 'myproject', title: 'first' }),
      town.beads.create({ rig: 'myproject', title: 'second' }),
    ];
    town.start();
    await run.until(() => eventsOf(events, 'mr.merged').length === 2, 30_000);

    expect(eventsOf(events, 'mr.conflicted').length).toBeGreaterThanOrEqual(1);
    const reworks = (await run.captured()).filter((c) => c.env.GT_MODE === 'rework');
    expect(reworks.length).toBeGreaterThanOrEqual(1);
    expect(reworks[0].env.GT_ATTEMPT).toBe('2');
    expect(reworks[0].prompt).toMatch(/did not merge cleanly/);
    const { stdout } = await runGit(['show', 'main:agent-notes/shared.md'], { cwd: run.h.repoPath });
    for (const b of beads) expect(stdout).toContain(`- ${b.id} (`);
  });

  it('hands hostile bead text to the agent as data only: metacharacters, newlines, long input', async () => {
    process.env.GT_OPERATOR_TOKEN = 'the-servers-secret';
    onTestFinished(() => void delete process.env.GT_OPERATOR_TOKEN);
    run = await start([...agentScript('commit-agent'), '--title={beadTitle}', '{beadId}', '{prompt}']);
    const canary = path.join(run.h.dir, 'pwned');
    const title = `$(touch ${canary}); \`touch ${canary}\` && echo "x" 'y' | cat > ${canary} {promptFile} %s \\n`.slice(0, 200);
    const description = `line one\nline two; rm -rf ~\n$HOME \${PATH} <<EOF\n${'é long text. '.repeat(1_500)}`;
    const bead = run.town.beads.create({ rig: 'myproject', title, description });
    run.town.start();
    await run.until(() => eventsOf(run!.events, 'mr.merged').length === 1);

    expect(existsSync(canary)).toBe(false);
    const [got] = await run.captured();
    expect(got.argv[0]).toBe(`--title=${title}`); // {promptFile} inside the title stayed text
    expect(got.argv[1]).toBe(bead.id);
    expect(got.argv[2]).toBe(got.prompt);
    expect(got.argv).toHaveLength(3);
    expect(got.prompt).toContain(description);
    expect(got.env).toMatchObject({
      GT_BEAD_ID: bead.id,
      GT_BEAD_TITLE: title,
      GT_BEAD_DESCRIPTION: description,
      GT_RIG: 'myproject',
      GT_POLECAT: 'furiosa',
      GT_MODE: 'fresh',
      GT_ATTEMPT: '1',
    });
    expect(got.cwd).toBe(run.town.polecats.list()[0].worktreePath);
    expect(got.env.GT_OPERATOR_TOKEN).toBeUndefined(); // the server's own settings stay with the server
    // The prompt file lives outside the worktree: the agent's `git add -A` never commits it.
    expect(got.env.GT_PROMPT_FILE.startsWith(got.cwd)).toBe(false);
  });

  it('kills a hung agent: nudge, restart (a new process), then escalation, and no process is left', async () => {
    run = await start(agentScript('hang-agent'), { heartbeatTimeoutMs: 60_000, witnessIntervalMs: 30_000 });
    const { town, events } = run;
    town.beads.create({ rig: 'myproject', title: 'a bead the agent never finishes' });
    town.start();
    // Small steps: the restarted process needs real time to start before the next patrol.
    await run.until(() => town.escalations.list().length > 0, 30_000, 1_000);

    const ladder = eventsOf(events, 'witness.detected').map((e) => `${e.kind}:${e.action}`);
    expect(ladder).toEqual(['unresponsive:nudge', 'unresponsive:restart', 'unresponsive:escalate']);
    expect(town.escalations.list()[0]).toMatchObject({ source: 'witness', polecatId: 'myproject/furiosa' });
    expect(town.polecats.list()[0].state).toBe('stalled');
    const pids = (await run.captured()).map((c) => c.pid);
    expect(pids.length).toBe(2); // the first process, and the one the restart started
    await realSleep(500);
    expect(pids.filter(alive)).toEqual([]);
    const tail = await readLogTail(polecatAgentDir(run.logRoot, 'myproject', 'furiosa'));
    expect(tail.text).toContain('nudged by the Witness');
    expect(tail.text).toContain('stopped');
  });

  it('fails an agent that runs past its timeout, retries it, then escalates', async () => {
    run = await start(agentScript('hang-agent'), { agentTimeoutMs: 400, maxAttempts: 2 });
    const { town, events } = run;
    const bead = town.beads.create({ rig: 'myproject', title: 'slow bead' });
    town.start();
    await run.until(() => town.escalations.list().length > 0, 20_000, 100);

    const failures = eventsOf(events, 'agent.failed');
    expect(failures.map((f) => f.reason)).toEqual(['agent timed out after 400 ms', 'agent timed out after 400 ms']);
    expect(town.beads.get(bead.id)?.status).toBe('blocked');
    expect(town.escalations.list()[0]).toMatchObject({ severity: 'high', beadId: bead.id });
    await realSleep(300);
    expect((await run.captured()).map((c) => c.pid).filter(alive)).toEqual([]);
  });

  it('backs a crashing agent off 2 s, 4 s, 8 s of engine time before each retry, then escalates', async () => {
    run = await start(agentScript('crash-agent'), { maxAttempts: 4 });
    const { town, events, h } = run;
    const bead = town.beads.create({ rig: 'myproject', title: 'crashy bead' });
    const failures = () => eventsOf(events, 'agent.failed');
    const hooks = () => eventsOf(events, 'bead.status_changed').filter((e) => e.bead === bead.id && e.to === 'hooked');
    town.start();
    await run.until(() => failures().length === 1, 20_000, 100);

    // During the wait the bead is open and nobody's, and the event says until when.
    const [first] = failures();
    expect(first).toMatchObject({ attempt: 1, retryAt: first.at + 2_000 });
    expect(town.beads.get(bead.id)).toMatchObject({ status: 'open', assignee: null });
    expect(town.polecats.list()[0]).toMatchObject({ state: 'idle', beadId: null });
    // One engine millisecond before its time, no retry; at its time, the bead is hooked again.
    await h.clock.advance(first.retryAt! - h.clock.now() - 1, () => town.settle());
    await realSleep(100);
    await town.settle();
    expect(hooks()).toHaveLength(1);
    await h.clock.advance(1, () => town.settle());
    expect(hooks().map((e) => e.at)).toEqual([hooks()[0].at, first.retryAt]);

    await run.until(() => town.escalations.list().length > 0, 30_000, 100);
    const all = failures();
    expect(all.map((f) => f.attempt)).toEqual([1, 2, 3, 4]);
    expect(all.map((f) => (f.retryAt == null ? null : f.retryAt - f.at))).toEqual([2_000, 4_000, 8_000, null]);
    // Each retry was dispatched exactly when its wait ended, never before.
    expect(
      hooks()
        .slice(1)
        .map((e, i) => e.at - all[i].at),
    ).toEqual([2_000, 4_000, 8_000]);
    expect(town.beads.get(bead.id)).toMatchObject({ status: 'blocked', assignee: null });
  });

  it('counts a crash as a failed attempt: retried, then the bead is blocked and escalated', async () => {
    run = await start(agentScript('crash-agent'), { maxAttempts: 3 });
    const { town, events } = run;
    const bead = town.beads.create({ rig: 'myproject', title: 'crashy bead' });
    town.start();
    await run.until(() => town.escalations.list().length > 0);

    const failures = eventsOf(events, 'agent.failed');
    expect(failures).toHaveLength(3);
    expect(failures[0].reason).toBe('agent exited with code 3: fatal: the model refused the request');
    expect((await run.captured()).map((c) => c.env.GT_ATTEMPT).sort()).toEqual(['1', '2', '3']);
    expect(town.beads.get(bead.id)).toMatchObject({ status: 'blocked', assignee: null });
    expect(town.escalations.list()[0].reason).toMatch(/failed 3 agent attempts \(last: agent exited with code 3/);
    expect(town.polecats.list()[0]).toMatchObject({ state: 'idle', beadId: null });
    expect(eventsOf(events, 'mr.enqueued')).toEqual([]);
    // Without usage lines the polecat's tokens are unknown, not zero, and the costs say so.
    expect(town.polecats.usageKnown(town.polecats.list()[0])).toBe(false);
    const costs = await costsView(town, run.h.store, 'rig', 'today');
    expect(costs.rows).toEqual([]);
    expect(costs.unmetered).toEqual({ runs: 3, polecats: ['myproject/furiosa'] });
  });

  it('fails an agent that exits 0 without committing', async () => {
    run = await start([process.execPath, '-e', 'require("fs").writeFileSync("left-uncommitted.txt", "x")'], {
      maxAttempts: 1,
    });
    const { town, events } = run;
    town.beads.create({ rig: 'myproject', title: 'forgets to commit' });
    town.start();
    await run.until(() => town.escalations.list().length > 0);
    const { branch } = town.polecats.list()[0];
    expect(eventsOf(events, 'agent.failed')[0].reason).toBe(`agent exited 0 without new commits on ${branch}`);
    // A real process fails for real: simulated failures are refused, not silently ignored.
    expect(() => town.supervision.injectFailure('myproject/furiosa', 'hang')).toThrow(
      /runs an external agent: failures cannot be simulated/,
    );
  });

  it('flags an agent that loops printing usage without progress, and climbs the ladder on stalls', async () => {
    run = await start(agentScript('loop-agent'), {
      heartbeatTimeoutMs: 5 * 60_000,
      progressTimeoutMs: 60_000,
      witnessIntervalMs: 30_000,
    });
    const { town, events } = run;
    town.updateSettings({ retryLoopTokens: 20_000 }, 'test');
    town.beads.create({ rig: 'myproject', title: 'loops forever' });
    town.start();
    await run.until(() => town.escalations.list().length > 0, 20_000, 2_000);

    expect(eventsOf(events, 'polecat.retry_loop')[0]).toMatchObject({ polecat: 'myproject/furiosa' });
    const ladder = eventsOf(events, 'witness.detected').map((e) => `${e.kind}:${e.action}`);
    expect(ladder).toEqual(['stalled:nudge', 'stalled:restart', 'stalled:escalate']);
    await town.settle();
    const usage = await run.h.store.listUsage({});
    expect(usage[0]).toMatchObject({ model: 'claude-sonnet-4-5' });
    expect(usage[0].inputTokens).toBeGreaterThanOrEqual(20_000);
  });

  it('stops an agent an earlier server left running in the worktree, and nothing else', async () => {
    run = await start(agentScript('commit-agent'), {}, 2);
    const [furiosa, nux] = run.town.polecats.list();
    // Two strays, as a killed server leaves them: detached, with their pids on record.
    const stray = (cwd: string) => {
      const child = spawn(agentScript('hang-agent')[0], agentScript('hang-agent').slice(1), {
        cwd,
        detached: true,
        stdio: 'ignore',
      });
      child.unref();
      return child.pid!;
    };
    const inWorktree = stray(furiosa.worktreePath);
    const elsewhere = stray(os.tmpdir());
    onTestFinished(() => void (alive(elsewhere) && process.kill(-elsewhere, 'SIGKILL')));
    for (const [p, pid] of [
      [furiosa, inWorktree],
      [nux, elsewhere],
    ] as const) {
      const dir = polecatAgentDir(run.logRoot, 'myproject', p.name);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'agent.pid'), String(pid));
    }
    await realSleep(200);
    run.town.beads.create({ rig: 'myproject', title: 'one' });
    run.town.beads.create({ rig: 'myproject', title: 'two' });
    run.town.start();
    await run.until(() => eventsOf(run!.events, 'mr.merged').length === 2);

    await realSleep(200);
    expect(alive(inWorktree)).toBe(false);
    expect(alive(elsewhere)).toBe(true); // a reused pid is not ours to kill
    const tail = await readLogTail(polecatAgentDir(run.logRoot, 'myproject', 'furiosa'));
    expect(tail.text).toContain(`stopped agent process ${inWorktree}, left running in this worktree by an earlier server`);
  });

  it('ignores malformed usage lines (noted in the log) and counts only the valid one', async () => {
    run = await start(agentScript('malformed-agent'));
    const { town, events } = run;
    town.beads.create({ rig: 'myproject', title: 'prints junk usage' });
    town.start();
    await run.until(() => eventsOf(events, 'mr.merged').length === 1);

    expect(eventsOf(events, 'agent.usage').map((u) => [u.inputTokens, u.outputTokens, u.model])).toEqual([[700, 70, 'gpt-5']]);
    const tail = await readLogTail(polecatAgentDir(run.logRoot, 'myproject', 'furiosa'));
    expect(tail.text.match(/ignored a malformed usage line/g)).toHaveLength(5);
    expect(tail.text).toContain('(not JSON)');
    expect(tail.text).toContain('input_tokens must be a whole number >= 0');
    expect(tail.text).toContain('1 usage lines, 5 malformed ignored');
  });
});

describe('agent settings', () => {
  let h: Harness;
  let town: Town;
  afterEach(async () => {
    await town.stop();
    await h.cleanup();
  });

  it.each([
    [{ agent: { kind: 'preset', preset: 'cursor' } }, /unknown preset; the presets are claude, codex, gemini, aider, opencode/],
    [{ agent: { kind: 'command', command: [] } }, /the command is empty/],
    [{ agent: { kind: 'command', command: [''] } }, /needs a program/],
    [{ agent: { kind: 'command', command: ['../../outside/agent.sh'] } }, /outside the rig's repository/],
    [{ agent: { kind: 'command', command: ['scripts/../../agent.sh'] } }, /outside the rig's repository/],
    [{ agent: { kind: 'command', command: ['/no/such/agent'] } }, /is not an executable file/],
    [{ agent: { kind: 'command', command: ['agent', '{bead}'] } }, /unknown placeholder \{bead\}/],
    [{ agent: { kind: 'shell', command: 'rm -rf /' } }, /agent.kind is one of scripted, preset, command/],
    [{ maxConcurrency: 0 }, /at least 1/],
    [{}, /nothing to change/],
  ])('refuses %j and changes nothing', async (input, message) => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    const before = structuredClone(town.rigs.get('myproject')!.settings);
    const bus = createCommandBus({ engine: town });
    const err = await bus.execute('agent.configure', { rig: 'myproject', ...input }, operator).then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    expect(err?.code).toBe('invalid');
    expect(err?.message).toMatch(message);
    expect(town.rigs.get('myproject')!.settings).toEqual(before);
  });

  it('accepts a preset with a model, a command inside the rig, and a concurrency cap', async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    const bus = createCommandBus({ engine: town });
    await expect(
      bus.execute(
        'agent.configure',
        { rig: 'myproject', agent: { kind: 'preset', preset: 'claude', model: 'claude-sonnet-4-5' } },
        operator,
      ),
    ).resolves.toMatchObject({ description: 'Claude Code · claude-sonnet-4-5' });
    await bus.execute(
      'agent.configure',
      { rig: 'myproject', agent: { kind: 'command', command: ['scripts/agent.sh', '{promptFile}'] }, maxConcurrency: 3 },
      operator,
    );
    expect(town.rigs.get('myproject')!.settings).toMatchObject({
      agent: { kind: 'command', command: ['scripts/agent.sh', '{promptFile}'] },
      maxConcurrency: 3,
    });
  });
});
