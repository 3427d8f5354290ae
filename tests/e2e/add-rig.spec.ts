/**
 * A user's own repository from the browser and the shell, on an empty town (GT_DEMO=0):
 * the Add rig dialog clones a file:// upstream and the overview shows the rig; a bad URL
 * shows git's reason and adds nothing; `gt rig add`, `gt polecat add` and `bd import` exit
 * with the codes docs/cli.md promises.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { screenshot } from './screenshots';
import { startServer, type RunningServer } from './server';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** A bare upstream with a short history, default branch `trunk`. */
function makeUpstream(dir: string): string {
  const origin = path.join(dir, 'upstream.git');
  const work = path.join(dir, 'work');
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe' });
  git(dir, 'init', '-q', '--bare', '-b', 'trunk', origin);
  git(dir, 'clone', '-q', origin, work);
  for (const [file, text] of [
    ['README.md', '# shop\n'],
    ['src/cart.ts', 'export const cart = [];\n'],
  ]) {
    execFileSync('mkdir', ['-p', path.dirname(path.join(work, file))]);
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', path.join(work, file)], { input: text });
    git(work, 'add', '-A');
    git(work, '-c', 'user.name=Grace', '-c', 'user.email=grace@example.com', 'commit', '-q', '-m', `add ${file}`);
  }
  git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/trunk');
  return origin;
}

test.describe('adding a rig to an empty town', () => {
  let server: RunningServer;
  let dir: string;
  let origin: string;
  test.beforeAll(async () => {
    test.setTimeout(120_000);
    dir = await mkdtemp(path.join(os.tmpdir(), 'gastown-e2e-upstream-'));
    origin = makeUpstream(dir);
    server = await startServer({ env: { GT_DEMO: '0' } });
  });
  test.afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const sh = (line: string) => {
    const r = spawnSync('bash', ['-c', line], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PATH: `${path.join(ROOT, 'bin')}:${process.env.PATH}`, GT_DATA_DIR: server.dataDir, NO_COLOR: '1' },
    });
    return { out: r.stdout.trim(), err: r.stderr.trim(), code: r.status };
  };

  test('the Add rig dialog clones a file:// repository and the overview shows the rig', async ({ page }) => {
    for (const theme of ['dark', 'light'] as const) {
      await page.addInitScript((t) => localStorage.setItem('gt-theme', t), theme);
      await page.goto(server.url + '/');
      await expect(page.getByTestId('no-rigs')).toBeVisible();
      await screenshot(page, theme === 'dark' ? 'add-rig-empty-town' : 'add-rig-empty-town-light');
      await page.getByTestId('add-rig-open').click();
      await page.getByTestId('add-rig-name').fill('shop');
      await page.getByTestId('add-rig-url').fill('ext::sh -c touch% /tmp/pwned');
      await expect(page.getByTestId('add-rig-dialog')).toContainText('remote helper transports');
      await expect(page.getByTestId('add-rig-submit')).toBeDisabled();
      // Allowed by the URL rule, refused by git: its reason is shown and nothing is added.
      await page.getByTestId('add-rig-url').fill(`file://${dir}/no-such-repo.git`);
      await page.getByTestId('add-rig-submit').click();
      await expect(page.getByTestId('add-rig-error')).toContainText(/repository/);
      await screenshot(page, theme === 'dark' ? 'add-rig-dialog-error' : 'add-rig-dialog-error-light');
      await page.keyboard.press('Escape');
    }
    const town = await (await fetch(`${server.url}/api/town`, { headers: server.authHeaders() })).json();
    expect(town.rigs).toEqual([]);

    await page.getByTestId('add-rig-open').click();
    await page.getByTestId('add-rig-name').fill('shop');
    await page.getByTestId('add-rig-url').fill(`file://${origin}`);
    await page.getByTestId('add-rig-polecats').fill('1');
    await page.getByTestId('add-rig-local').check();
    await page.getByTestId('add-rig-submit').click();
    await expect(page.getByTestId('add-rig-done')).toHaveText('shop added: lands on trunk (local)', { timeout: 60_000 });
    await expect(page.getByRole('link', { name: /shop/ }).first()).toBeVisible();
    await screenshot(page, 'add-rig-added-light');

    // Its page: remove its idle polecat, then the rig itself, behind the confirmation.
    await page.goto(`${server.url}/rigs/shop`);
    await page.getByTestId('remove-furiosa').click();
    await expect(page.getByTestId('confirm-summary')).toContainText('Removes furiosa now');
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByRole('status').filter({ hasText: 'shop/furiosa: removed' })).toBeVisible();
    await page.getByTestId('rig-remove-open').click();
    await expect(page.getByTestId('confirm-summary')).toContainText('history (beads, merges, events) stays');
    await expect(page.getByTestId('confirm-summary')).toContainText('the worktrees of its 0 polecats are deleted');
    await screenshot(page, 'rig-remove-confirm-light');
    await page.getByTestId('confirm-ok').click();
    await page.waitForURL(`${server.url}/`);
    await expect(page.getByTestId('no-rigs')).toBeVisible();
  });

  test('gt rig add, gt polecat add and bd import exit with the documented codes', async () => {
    // 0: added (the clone's progress on stderr, the rig on stdout as JSON).
    const added = sh(`gt rig add cli-shop file://${origin} --local --json`);
    expect(added.code, added.err).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({ name: 'cli-shop', targetBranch: 'trunk', settings: { landing: 'local' } });
    // 4: refused by the server (the name is taken; git's reason for a missing branch).
    expect(sh(`gt rig add cli-shop file://${origin}`).code).toBe(4);
    const noBranch = sh(`gt rig add other file://${origin} --branch nope`);
    expect(noBranch.code).toBe(4);
    expect(noBranch.err).toMatch(/nope/);
    // 1: a usage error, nothing sent.
    expect(sh('gt rig add onlyname').code).toBe(1);
    expect(sh('gt polecat add cli-shop --count many').code).toBe(1);

    expect(sh('gt polecat add cli-shop --count 2').code).toBe(0);
    expect(sh('gt polecat add no-such-rig').code).toBe(3);

    const file = path.join(dir, 'issues.jsonl');
    const bead = { id: 'bd-e2e1', title: 'From bd', status: 'open', priority: 1, created_at: '2026-11-20T10:00:00Z' };
    await writeFile(file, JSON.stringify(bead) + '\n');
    const imported = sh(`bd import ${file} --rig cli-shop --json`);
    expect(imported.code, imported.err).toBe(0);
    expect(JSON.parse(imported.out)).toEqual({ created: 1, updated: 0, unchanged: 0, unresolvedDependencies: [] });
    await writeFile(file, JSON.stringify(bead) + '\n{"id": broken\n');
    const broken = sh(`bd import ${file} --rig cli-shop`);
    expect(broken.code).toBe(4);
    expect(broken.err).toMatch(/line 2/);
    expect(sh(`bd import ${dir}/missing.jsonl`).code).toBe(1);
    expect(sh('bd export --rig cli-shop').out).toContain('"id":"bd-e2e1"');
  });
});
