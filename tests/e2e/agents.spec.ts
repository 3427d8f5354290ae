/**
 * A real agent process on a real server: bad agent settings are refused with a 400 and
 * change nothing; a rig switched to a command agent (a test script that edits and
 * commits) has its bead landed, and the rig page shows the runtime and the agent's log.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const AGENT = [process.execPath, path.join(ROOT, 'tests/fixtures/agents/commit-agent.mjs')];

test.describe('agents', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '5' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('refuses bad agent settings with a 400 and changes nothing', async ({ request }) => {
    const url = `${server.url}/api/rigs/${RIG}/agent`;
    const before = await (await request.get(url)).json();
    for (const [body, message] of [
      [{ agent: { kind: 'preset', preset: 'nope' } }, /unknown preset/],
      [{ agent: { kind: 'command', command: [] } }, /the command is empty/],
      [{ agent: { kind: 'command', command: ['../../elsewhere/agent.sh'] } }, /outside the rig's repository/],
    ] as const) {
      const res = await request.patch(url, { data: body });
      expect(res.status()).toBe(400);
      expect((await res.json()).error.message).toMatch(message);
    }
    expect(await (await request.get(url)).json()).toEqual(before);
  });

  /** `gt` as an operator runs it on the town's machine (it finds the server in the data directory). */
  const gt = (args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/gt.mjs'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, GT_DATA_DIR: server.dataDir, NO_COLOR: '1' },
    });
    return { out: r.stdout.trim(), err: r.stderr.trim(), code: r.status };
  };

  test('runs a command agent on a bead: it lands, and the page shows the agent and its log', async ({ page, request }) => {
    test.setTimeout(180_000);
    const refused = gt(['rig', 'agent', RIG, '--preset', 'cursor']);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/unknown preset/);
    const configured = gt(['rig', 'agent', RIG, '--max-concurrency', '2', '--json', '--', ...AGENT]);
    expect(configured.code, configured.err).toBe(0);
    expect(JSON.parse(configured.out)).toMatchObject({ agent: { kind: 'command', command: AGENT }, maxConcurrency: 2 });
    const created = await request.post(`${server.url}/api/beads`, {
      data: { rig: RIG, priority: 0, title: 'Agent bead: "quotes" & $(metacharacters)', description: 'line one\nline two' },
    });
    expect(created.status()).toBe(201);
    const bead = (await created.json()).id as string;

    // Some polecat's agent takes the bead (the demo's own beads come first, then ours).
    await expect
      .poll(
        async () => {
          const res = await request.get(`${server.url}/api/beads/${bead}`);
          return res.ok() ? (await res.json()).status : null;
        },
        { timeout: 150_000, intervals: [1_000], message: 'the agent bead lands' },
      )
      .toBe('done');

    await page.goto(`${server.url}/rigs/${RIG}`);
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(page.getByTestId('agent-description')).toContainText('commit-agent.mjs');
    const detail = await (await request.get(`${server.url}/api/rigs/${RIG}`)).json();
    let author: string | null = null;
    for (const p of detail.rig.polecats as Array<{ name: string }>) {
      const log = await (await request.get(`${server.url}/api/rigs/${RIG}/polecats/${p.name}/log`)).json();
      if (log.text.includes(`working on ${bead}`)) author = p.name;
    }
    expect(author, 'a polecat log shows the agent working on the bead').not.toBeNull();
    await page.getByTestId('agent-log-polecat').selectOption(author!);
    await expect(page.getByTestId('agent-log-text')).toContainText(
      `working on ${bead}: Agent bead: "quotes" & $(metacharacters)`,
    );
    await expect(page.getByTestId('agent-log-text')).toContainText(/exited 0 with commit [0-9a-f]{12}/);
    await page.getByRole('region', { name: 'Agent log' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'rig-agents');
  });
});
