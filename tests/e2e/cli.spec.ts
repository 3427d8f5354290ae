/**
 * The CLI against a real server: every shell line of the seed's monitoring section runs
 * verbatim, through bash and the real jq, and prints what the API says; bad arguments get
 * a usage message and exit 1 and change nothing; the other exit codes mean what the docs
 * say (2 unreachable, 3 not found, 4 refused).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test, type RunningServer } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

test.describe('gt and bd', () => {
  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '20' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  /** Runs a shell line the way an operator would, with gt and bd on the PATH. */
  const sh = (line: string, env: Record<string, string> = {}) => {
    const r = spawnSync('bash', ['-c', line], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      // Only the data directory: the CLI finds the server (and its token) there, as on the town's machine.
      env: {
        ...process.env,
        PATH: `${path.join(ROOT, 'bin')}:${process.env.PATH}`,
        GT_DATA_DIR: server.dataDir,
        NO_COLOR: '1',
        ...env,
      },
    });
    return { out: r.stdout.trim(), err: r.stderr.trim(), code: r.status };
  };
  const apiJson = async (route: string) => {
    const get = () => fetch(server.url + route, { headers: server.authHeaders() });
    // spawnSync blocks this process for seconds, long enough for the server to close an idle
    // keep-alive socket unnoticed; the next GET on it fails once, so it is asked again.
    return (await get().catch(get)).json();
  };

  test('runs the seed’s monitoring lines verbatim and prints what the API says', async () => {
    test.setTimeout(240_000);
    // Wait for history: merges landed and a few beads done.
    await expect
      .poll(async () => (await apiJson('/api/refinery/stats')).conflict_sample, { timeout: 180_000 })
      .toBeGreaterThanOrEqual(3);

    // The town is live: the CLI must print what the API says just before or just after it
    // runs. A value that moved twice meanwhile (the queue went 5, 6, 7) is sampled again; a
    // CLI that printed the wrong thing would be wrong every time.
    const between = async (route: string, pick: (v: never) => unknown, line: string) => {
      for (let attempt = 1; ; attempt++) {
        const before = pick((await apiJson(route)) as never);
        const r = sh(line);
        const after = pick((await apiJson(route)) as never);
        expect(r.code, r.err).toBe(0);
        const seen = [JSON.stringify(before), JSON.stringify(after)];
        if (!seen.includes(r.out) && attempt < 5) continue;
        expect(seen).toContain(r.out);
        return r.out;
      }
    };

    // Merge queue depth (should stay under 5)
    await between('/api/mq', (v: { pending: unknown[] }) => v.pending.length, "gt mq list --json | jq '.pending | length'");
    // Gate evaluation latency (should stay under 60s)
    const patrol = await between(
      '/api/status',
      (v: { deacon: { last_patrol_duration: number | null } }) => v.deacon.last_patrol_duration,
      "gt status --json | jq '.deacon.last_patrol_duration'",
    );
    expect(Number(patrol)).toBeGreaterThan(0);
    // Polecat throughput (completions per hour)
    const done = await between(
      '/api/beads?status=done&since=1h&limit=1000',
      (v: unknown[]) => v.length,
      "bd list --status=done --since=1h --json | jq '. | length'",
    );
    expect(Number(done)).toBeGreaterThanOrEqual(1);
    // Conflict rate (should stay under 30%)
    await between(
      '/api/refinery/stats',
      (v: { conflict_rate: number | null }) => v.conflict_rate,
      "gt refinery stats --json | jq '.conflict_rate'",
    );
  });

  test('scales a rig, sets the cost alert, and reads costs per agent', async () => {
    const scaled = sh('gt rig scale myproject --refinery-workers 3');
    expect(scaled.code, scaled.err).toBe(0);
    expect(scaled.out).toBe('myproject: 3 Refinery workers');
    expect((await apiJson('/api/rigs/myproject')).rig.refineryWorkers).toBe(3);

    expect(sh('gt costs --alert-threshold 25').code).toBe(0);
    expect((await apiJson('/api/costs')).budget.alertThresholdUsd).toBe(25);
    const byAgent = sh('gt costs --by-agent --json | jq -r ".rows[0].key"');
    expect(byAgent.out).toMatch(/^myproject\//);
    expect(sh('gt costs --by-agent').out).toContain('AGENT');
  });

  test('gives usage errors exit 1 and changes nothing; other failures their own codes', async () => {
    const workers = async () => (await apiJson('/api/rigs/myproject')).rig.refineryWorkers;
    const before = await workers();
    for (const line of [
      'gt rig scale myproject --refinery-workers three',
      'gt rig scale myproject',
      'gt mq lisst',
      'bd list --status=bogus',
      'bd list --since=1x',
      'gt costs --alert-threshold -5',
    ]) {
      const r = sh(line);
      expect(r.code, `${line}: ${r.err}`).toBe(1);
      expect(r.err).toMatch(/error|Usage/);
    }
    expect(await workers()).toBe(before);
    expect(sh('gt rig scale myproject --refinery-workers 17').code).toBe(4);
    expect(sh('gt rig scale atlantis --refinery-workers 2').code).toBe(3);
    expect(sh('bd show gt-nope').code).toBe(3);
    expect(sh('gt status', { GT_URL: 'http://127.0.0.1:9' }).code).toBe(2);
    expect(sh('gt status --help').out).toContain('Usage: gt status');
    expect(sh('gt alerts silence some-alert').code).toBe(1); // no --reason
    expect(sh('gt alerts ack alert-nope').code).toBe(3);
    const alerts = sh("gt alerts list --all --json | jq 'type'");
    expect(alerts.out).toBe('"array"');
    expect(await workers()).toBe(before);
  });

  test('splits a rig and merges it back', async () => {
    const status = async (rig: string) => (await apiJson(`/api/rigs/${rig}`)).rig.status;
    // Usage errors and refusals change nothing.
    expect(sh("gt rig split myproject --partition 'core/**'").code).toBe(1);
    expect(sh('gt rig split myproject').code).toBe(1);
    const traversal = sh("gt rig split myproject --partition bad='../etc/**'");
    expect(traversal.code).toBe(4);
    expect(traversal.err).toContain("'..' segment");
    expect(sh("gt rig split atlantis --partition a='core/**'").code).toBe(3);

    const dry = sh("gt rig split myproject --suggest --dry-run --json | jq -r '.partitions[].name'");
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out.split('\n')).toEqual(expect.arrayContaining(['myproject-core', 'myproject-ui', 'myproject-tests']));
    expect(await status('myproject')).toBe('active');

    const split = sh("gt rig split myproject --partition myproject-core='core/**' --partition myproject-ui='ui/**'");
    expect(split.code, split.err).toBe(0);
    expect(split.out).toContain('myproject: split and retired');
    expect(split.out).toMatch(/myproject-rest\s+remainder/);
    expect(await status('myproject')).toBe('retired');
    expect(await status('myproject-core')).toBe('active');

    const merged = sh('gt rig merge myproject-core --json | jq -r .rig');
    expect(merged.out).toBe('myproject');
    expect(await status('myproject')).toBe('active');
    expect(await status('myproject-ui')).toBe('retired');
  });
});
