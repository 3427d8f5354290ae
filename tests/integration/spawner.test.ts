/**
 * The spawner on real processes: the same behaviour through the spawner process and
 * through the direct fallback (one suite, both runners), then what only the spawner can
 * do wrong: die, fail to start, outlive its server.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directRunner, Spawner, SpawnerDiedError, type ProcessRequest, type ProcessRunner } from '../../server/spawner/spawner';

const NODE = process.execPath;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gt-spawner-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(argv: string[], more: Partial<ProcessRequest> = {}): ProcessRequest {
  return { argv, cwd: dir, env: { ...process.env }, output: { mode: 'full', limit: 1024 * 1024 }, ...more };
}

/** `node -e script`: a real process whose behaviour the test spells out. */
const nodeScript = (script: string) => [NODE, '-e', script];

/** Running, not a zombie: an orphan's zombie lasts until some init reaps it. */
function isAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** A script that starts `sleep 30` in its own process group and prints its pid, then waits. */
const LEAVES_A_GRANDCHILD = nodeScript(
  "const c = require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);",
);

const spawner = new Spawner();
afterAll(() => spawner.close());

describe.each([
  ['the spawner', spawner as ProcessRunner],
  ['the direct fallback', directRunner],
])('%s', (_name, runner) => {
  it('returns stdout, stderr and the exit code apart when a process fails', async () => {
    const r = await runner.run(request(nodeScript("process.stdout.write('out'); process.stderr.write('err'); process.exit(3)")));
    expect(r).toMatchObject({ code: 3, signal: null, stdout: 'out', stderr: 'err', timedOut: false, overflow: false });
    expect(r.spawnError).toBeNull();
  });

  it('runs in the given directory with exactly the given environment and stdin', async () => {
    const r = await runner.run(
      request(
        nodeScript(
          "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => console.log(process.cwd(), process.env.GT_PROBE, s))",
        ),
        {
          env: { PATH: process.env.PATH, GT_PROBE: 'probe value' },
          stdin: 'from stdin',
        },
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`${await import('node:fs/promises').then((fs) => fs.realpath(dir))} probe value from stdin`);
  });

  it('passes arguments literally when they hold shell syntax', async () => {
    const r = await runner.run(request([NODE, '-e', 'console.log(process.argv[1])', '$(touch pwned); `id` | ;']));
    expect(r.stdout).toBe('$(touch pwned); `id` | ;\n');
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
  });

  it('reports a spawn error instead of throwing when the program or the directory does not exist', async () => {
    const missing = await runner.run(request(['gt-no-such-program-here']));
    expect(missing.spawnError?.code).toBe('ENOENT');
    expect(missing.code).toBeNull();
    const gone = await runner.run(request(['git', '--version'], { cwd: path.join(dir, 'gone') }));
    expect(gone.spawnError?.code).toBe('ENOENT');
  });

  it('kills the whole process group when the timeout passes', async () => {
    const started = performance.now();
    const r = await runner.run(
      request(LEAVES_A_GRANDCHILD, { timeoutMs: 500, killGroup: true, output: { mode: 'tail', limit: 1024 } }),
    );
    expect(r.timedOut).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
    const grandchild = Number(
      Buffer.from(r.output ?? [])
        .toString()
        .trim(),
    );
    expect(grandchild).toBeGreaterThan(0);
    expect(await eventually(() => !isAlive(grandchild))).toBe(true);
  });

  it('kills the process group and reports aborted when the signal aborts', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const started = performance.now();
    const r = await runner.run(
      request(LEAVES_A_GRANDCHILD, { timeoutMs: 60_000, killGroup: true, output: { mode: 'tail', limit: 1024 } }),
      abort.signal,
    );
    expect(r.aborted).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
    const grandchild = Number(
      Buffer.from(r.output ?? [])
        .toString()
        .trim(),
    );
    expect(await eventually(() => !isAlive(grandchild))).toBe(true);
  });

  it('starts nothing when the signal has already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const r = await runner.run(request(nodeScript("require('fs').writeFileSync('ran', '')")), abort.signal);
    expect(r.aborted).toBe(true);
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
  });

  it('kills a process and flags the overflow when full output passes its limit', async () => {
    // `yes` prints forever with blocking writes. (A Node loop of stdout.write never yields,
    // so its output can stay queued in the writer and never reach the limit.)
    const r = await runner.run(request(['yes', 'endless output'], { output: { mode: 'full', limit: 256 * 1024 } }));
    expect(r.overflow).toBe(true);
    expect(r.code).toBeNull();
    expect(r.stdout.length).toBe(256 * 1024);
  });

  it('keeps only the last bytes of stdout and stderr in tail mode', async () => {
    const script =
      // stderr is checked by the first test; between two pipes the order is the scheduler's.
      "for (let i = 0; i < 20000; i++) process.stdout.write('line ' + i + '\\n'); process.stdout.write('the end\\n');";
    const r = await runner.run(request(nodeScript(script), { output: { mode: 'tail', limit: 4096 } }));
    expect(r.code).toBe(0);
    const text = Buffer.from(r.output ?? []).toString();
    expect(r.output?.length).toBe(4096);
    expect(text.endsWith('line 19999\nthe end\n')).toBe(true);
    expect((r.dropped ?? 0) + 4096).toBe(Buffer.byteLength(Array.from({ length: 20000 }, (_, i) => `line ${i}\n`).join('')) + 8);
  });
});

describe('the spawner process', () => {
  it('fails the requests it was running with SpawnerDiedError when it dies, kills their groups, and recovers', async () => {
    const own = new Spawner();
    try {
      await own.run(request(['true']));
      const first = own.pid as number;
      expect(first).toBeGreaterThan(0);
      const pidFile = path.join(dir, 'check.pid');
      const check = own.run(
        request(
          nodeScript(
            `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`,
          ),
          {
            killGroup: true,
            timeoutMs: 60_000,
            output: { mode: 'tail', limit: 1024 },
          },
        ),
      );
      const git = own.run(request(['sleep', '0.3']));
      expect(await eventually(() => existsSync(pidFile))).toBe(true);
      const checkPid = Number(readFileSync(pidFile, 'utf8'));
      process.kill(first, 'SIGKILL');
      await expect(check).rejects.toBeInstanceOf(SpawnerDiedError);
      await expect(git).rejects.toThrow(/process spawner exited \(SIGKILL\) while running sleep 0.3; its outcome is unknown/);
      expect(await eventually(() => !isAlive(checkPid))).toBe(true);

      const after = await own.run(request(['git', '--version']));
      expect(after.stdout).toMatch(/^git version/);
      expect(own.pid).not.toBe(first);
      expect(own.stats().restarts).toBe(1);
      expect(own.usingFallback).toBe(false);
    } finally {
      own.close();
    }
  });

  it("runs the fleet's processes one step below the server (nice 10), the direct fallback at the server's", async () => {
    const own = new Spawner();
    try {
      // `nice` without arguments prints the niceness it runs at.
      const niceness = async (runner: ProcessRunner) => Number((await runner.run(request(['nice']))).stdout);
      expect(await niceness(own)).toBe(Math.max(os.getPriority(), 10));
      expect(await niceness(directRunner)).toBe(os.getPriority());
    } finally {
      own.close();
    }
  });

  it('runs requests directly, and keeps doing so, when the spawner cannot start', async () => {
    const reasons: string[] = [];
    const broken = new Spawner({
      script: path.join(dir, 'no-such-spawner.mjs'),
      maxStartFailures: 2,
      onFallback: (reason) => reasons.push(reason),
    });
    const first = await broken.run(request(['git', '--version']));
    expect(first.stdout).toMatch(/^git version/);
    const second = await broken.run(request(nodeScript('process.exit(4)')));
    expect(second.code).toBe(4);
    expect(broken.usingFallback).toBe(true);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/failed to start 2 times/);
    expect((await broken.run(request(['true']))).code).toBe(0);
    expect(broken.stats()).toMatchObject({ viaSpawner: 0, direct: 3 });
  });

  it('runs many requests at once with at most maxInFlight in the spawner', async () => {
    const own = new Spawner({ maxInFlight: 4 });
    try {
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => own.run(request(nodeScript(`console.log(${i})`)))));
      expect(results.map((r) => Number(r.stdout))).toEqual(Array.from({ length: 24 }, (_, i) => i));
      expect(own.stats().viaSpawner).toBe(24);
    } finally {
      own.close();
    }
  });

  it('lets its server exit when idle, and exits with it, killing the groups it runs, when the server dies', async () => {
    const pidFile = path.join(dir, 'orphan.pid');
    const spawnerModule = path.resolve('server/spawner/spawner.ts');
    const server = (script: string) =>
      spawn(NODE, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });

    // Idle: the script ends on its own once its request is done.
    const idle = server(
      `const { Spawner } = await import(${JSON.stringify(spawnerModule)}); const s = new Spawner(); ` +
        `const r = await s.run({ argv: ['true'], cwd: '/', env: process.env, output: { mode: 'full', limit: 1024 } }); console.log(r.code);`,
    );
    const exit = await new Promise<number | null>((resolve) => idle.on('close', resolve));
    expect(exit).toBe(0);

    // Killed mid-request: its spawner and the check it was running go too.
    const dying = server(
      `const { Spawner } = await import(${JSON.stringify(spawnerModule)}); const s = new Spawner(); ` +
        `const script = "require('fs').writeFileSync(" + JSON.stringify(${JSON.stringify(pidFile)}) + ", String(process.pid)); setInterval(() => {}, 1000);"; ` +
        `s.run({ argv: [process.execPath, '-e', script], cwd: '/', env: process.env, killGroup: true, timeoutMs: 60000, output: { mode: 'tail', limit: 1024 } }); ` +
        `setInterval(() => { if (s.pid) console.log(s.pid); }, 100);`,
    );
    let out = '';
    dying.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await eventually(() => existsSync(pidFile) && out.includes('\n'), 15_000)).toBe(true);
    const spawnerPid = Number(out.split('\n')[0]);
    const checkPid = Number(readFileSync(pidFile, 'utf8'));
    dying.kill('SIGKILL');
    expect(await eventually(() => !isAlive(spawnerPid))).toBe(true);
    expect(await eventually(() => !isAlive(checkPid))).toBe(true);
  });
});
