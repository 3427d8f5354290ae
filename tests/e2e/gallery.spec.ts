/**
 * Every page of the control room against a live demo town: each loads its live data in
 * the dark and the light theme (the screenshots in docs/ come from here), every text on it
 * is readable in both (WCAG AA contrast, tests/e2e/contrast.ts), also with the states an
 * operator meets (alert banners firing, an escalation, dialogs open), and a viewer finds no
 * action to take while the API refuses the viewer's actions.
 */
import type { APIRequestContext } from '@playwright/test';
import { expectReadable } from './contrast';
import { expect, test, type Page, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';
const THEMES = ['dark', 'light'] as const;
type Theme = (typeof THEMES)[number];

/** Records of the demo town the pages of one record are drawn from. */
interface Picked {
  /** A merge request that landed (its page has check runs). */
  mr: string;
  convoy: string;
}

/** Each page and what shows that its live data arrived. */
const PAGES: Array<{
  name: string;
  path: (t: Picked) => string;
  ready: (page: Page) => ReturnType<Page['getByTestId']>;
}> = [
  { name: 'overview', path: () => '/', ready: (p) => p.getByTestId('partition-diagram').locator('svg') },
  { name: 'rig', path: () => `/rigs/${RIG}`, ready: (p) => p.getByTestId('tile-queue') },
  { name: 'merge-request', path: (t) => `/rigs/${RIG}/mq/${t.mr}`, ready: (p) => p.getByTestId('check-run').first() },
  { name: 'convoys', path: () => '/convoys', ready: (p) => p.getByTestId('convoy-row').first() },
  { name: 'convoy', path: (t) => `/convoys/${encodeURIComponent(t.convoy)}`, ready: (p) => p.getByTestId('wave-table') },
  { name: 'costs', path: () => '/costs', ready: (p) => p.getByTestId('costs-table') },
  { name: 'alerts', path: () => '/alerts', ready: (p) => p.getByTestId('alerts-metric-chart') },
  { name: 'beads', path: () => '/beads', ready: (p) => p.getByTestId('bead-row').first() },
  { name: 'activity', path: () => '/activity', ready: (p) => p.getByTestId('event-row').first() },
  { name: 'lab', path: () => '/lab', ready: (p) => p.getByTestId('lab-empty') },
  { name: 'login', path: () => '/login', ready: (p) => p.getByRole('form', { name: 'Sign in' }) },
  { name: 'login-invalid', path: () => '/login?error=invalid', ready: (p) => p.getByTestId('login-error') },
];

const shotName = (name: string, theme: Theme) => (theme === 'dark' ? `page-${name}` : `page-${name}-light`);

async function useTheme(page: Page, theme: Theme): Promise<void> {
  await page.addInitScript((t) => localStorage.setItem('gt-theme', t), theme);
}

/** Looks at the page as it is now: a screenshot to open, and every text's contrast. */
async function audit(page: Page, name: string, theme: Theme): Promise<void> {
  await expect(page.locator('html'), name).toHaveClass(theme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
  await page.waitForTimeout(1_000); // charts and diagrams finish drawing, transitions end
  await screenshot(page, shotName(name, theme));
  await expectReadable(page, `${name} (${theme})`);
}

/** A landed merge request and a convoy of the demo town, once it has them. */
async function pick(request: APIRequestContext, url: string): Promise<Picked> {
  const picked: Partial<Picked> = {};
  await expect
    .poll(
      async () => {
        const merged = (await (await request.get(`${url}/api/events?type=mr.merged&rig=${RIG}&limit=1`)).json()) as Array<{
          data: { mr: string };
        }>;
        const convoys = (await (await request.get(`${url}/api/convoys`)).json()) as Array<{ id: string }>;
        picked.mr = merged[0]?.data.mr;
        picked.convoy = convoys[0]?.id;
        return Boolean(picked.mr && picked.convoy);
      },
      { timeout: 240_000, intervals: [2_000], message: 'a merge request lands and a convoy exists' },
    )
    .toBe(true);
  return picked as Picked;
}

/** A polecat of the rig with a bead in hand (the Witness judges only those), once there is one. */
async function aWorkingPolecat(request: APIRequestContext, url: string): Promise<{ id: string; name: string }> {
  let found: { id: string; name: string } | undefined;
  await expect
    .poll(
      async () => {
        const detail = (await (await request.get(`${url}/api/rigs/${RIG}`)).json()) as {
          rig: { polecats: Array<{ id: string; name: string; state: string }> };
        };
        found = detail.rig.polecats.find((p) => p.state === 'working');
        return Boolean(found);
      },
      { timeout: 120_000, intervals: [500], message: 'a polecat is working' },
    )
    .toBe(true);
  return found!;
}

test.describe('every page', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '10' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  for (const theme of THEMES) {
    test(`loads live data on every page, readable, in the ${theme} theme`, async ({ page, request }) => {
      test.setTimeout(420_000);
      const picked = await pick(request, server.url);
      await useTheme(page, theme);
      for (const { name, path, ready } of PAGES) {
        await page.goto(server.url + path(picked));
        await expect(ready(page), `${name} shows its data`).toBeVisible({ timeout: 60_000 });
        await audit(page, name, theme);
      }
    });
  }

  test('the seed’s backlog alert fires once the queue has held more than 5 for 10 minutes', async ({ page }) => {
    test.setTimeout(300_000);
    // The default rule, untouched: queue depth > 5 for 10 engine minutes (1 real minute at ×10).
    await page.goto(server.url + '/');
    const banner = page.getByTestId('alert-banner').filter({ hasText: /queue_depth \d+ \(> 5\) on myproject/ });
    await expect(banner).toBeVisible({ timeout: 240_000 });
    const summary = (await banner.getByTestId('alert-summary').textContent()) ?? '';
    expect(Number(/queue_depth (\d+)/.exec(summary)![1])).toBeGreaterThan(5);
    await expect(banner.getByTestId('alert-recommendation').nth(1)).toHaveText('Split the rig');
  });

  test('stays readable with alerts firing, an escalation open and dialogs open', async ({ page, request }) => {
    test.setTimeout(360_000);
    const command = (name: string, body: unknown) => request.post(`${server.url}/api/commands/${name}`, { data: body });
    // A polecat made to hang climbs the Witness's ladder (nudge, restart, escalate) in a few patrols.
    expect((await command('witness.configure', { rig: RIG, intervalMs: 60_000, heartbeatTimeoutMs: 60_000 })).status()).toBe(200);
    const hung = await aWorkingPolecat(request, server.url);
    expect((await command('polecat.inject', { polecat: hung.id, failure: 'hang', sticky: true })).status()).toBe(200);
    const banner = page.getByTestId('alert-banner').first();
    const escalation = page.locator('[data-testid^=escalation-esc-]').first();
    await page.goto(server.url + '/');
    await expect(banner).toBeVisible({ timeout: 240_000 });
    await expect(escalation).toBeVisible({ timeout: 240_000 });

    for (const theme of THEMES) {
      await useTheme(page, theme);
      await page.goto(server.url + '/');
      await expect(escalation).toBeVisible({ timeout: 30_000 });
      await expect(banner).toBeVisible();
      await audit(page, 'overview-alerts-escalations', theme);
      await banner.getByRole('button', { name: 'Silence…' }).click();
      await expect(banner.getByRole('form', { name: 'Silence this alert' })).toBeVisible();
      await page.getByTestId('add-rig-open').click();
      await expect(page.getByTestId('add-rig-dialog')).toBeVisible();
      await audit(page, 'overview-dialogs', theme);

      await page.goto(`${server.url}/rigs/${RIG}`);
      await expect(page.getByTestId(`polecat-${hung.name}`)).toBeVisible({ timeout: 30_000 });
      await page.getByTestId('rig-remove-open').click();
      await expect(page.getByTestId('confirm-dialog')).toBeVisible();
      await audit(page, 'rig-supervision-remove', theme);
      await page.getByTestId('confirm-cancel').click(); // a modal: the page behind it is inert
      await page.getByRole('button', { name: 'Split rig…', exact: true }).click();
      await expect(page.getByTestId('split-dialog')).toBeVisible();
      // Its suggested partitions and their live preview drawn: the dialog as an operator reads it.
      await expect(page.getByTestId('partition-globs-0')).not.toHaveValue('', { timeout: 60_000 });
      await expect(page.getByTestId('split-after').locator('svg')).toBeVisible({ timeout: 60_000 });
      await audit(page, 'rig-split-dialog', theme);
    }
  });

  test.describe('as a viewer', () => {
    test('finds no action buttons, and the API refuses the actions', async ({ signIn }) => {
      test.setTimeout(180_000);
      const page = await signIn('viewer', `/rigs/${RIG}`);
      await expect(page.getByTestId('tile-queue')).toBeVisible({ timeout: 60_000 });
      await expect(page.locator('[aria-label=Polecats] [data-testid^=polecat-]').first()).toBeVisible({ timeout: 30_000 });
      for (const name of ['Split rig…', 'Apply', 'Nudge', 'Restart', 'Park rig', 'Unpark rig']) {
        await expect(page.getByRole('button', { name, exact: true }), name).toHaveCount(0);
      }
      await expect(page.getByTestId('workers-input')).toHaveCount(0);
      await expect(page.getByTestId('agent-form')).toHaveCount(0);

      await page.goto(server.url + '/convoys');
      await expect(page.getByTestId('convoy-row').first()).toBeVisible({ timeout: 30_000 });
      await expect(page.getByRole('form', { name: 'New convoy' })).toHaveCount(0);
      await page.getByTestId('convoy-row').first().getByRole('link').first().click();
      await expect(page.getByRole('button', { name: /Stagger|Dispatch/ })).toHaveCount(0);

      await page.goto(server.url + '/costs');
      await expect(page.getByTestId('costs-table')).toBeVisible({ timeout: 30_000 });
      await expect(page.getByRole('form', { name: 'Set the daily budget' })).toHaveCount(0);

      await page.goto(server.url + '/beads');
      await expect(page.getByTestId('bead-row').first()).toBeVisible({ timeout: 30_000 });
      await expect(page.getByTestId('bead-title')).toHaveCount(0);

      // The session cookie is the viewer's: the server refuses what the page no longer offers.
      const scale = await page.request.post(`${server.url}/api/rigs/${RIG}/refinery/scale`, { data: { workers: 2 } });
      expect(scale.status()).toBe(403);
      const split = await page.request.post(`${server.url}/api/commands/rig.split`, {
        data: { rig: RIG, partitions: [{ name: 'x-core', globs: ['core/**'] }] },
      });
      expect(split.status()).toBe(403);
    });
  });
});
