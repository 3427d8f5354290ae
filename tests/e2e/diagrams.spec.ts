/**
 * Diagrams stay readable at any size, and times say which clock they are on (issue 21).
 * A 24-bead convoy in waves of 2 (12 waves) was a strip of ~3 px text; after a split the
 * patrol diagram's text was ~8 px in a box two thirds empty. Here the smallest text each
 * diagram shows, as drawn on the screen (its font size times the SVG's current scale), is
 * at least 11 px: for the 12-wave plan, the patrol and partition diagrams after a split, and
 * a 20-rig town's. At x20 the charts' time axes say "engine time (×20)" and the silence form
 * says its durations are real time.
 */
import { expect, test, type Page, type RunningServer } from './fixtures';
import { screenshot, screenshotOf } from './screenshots';

const RIG = 'myproject';
/** What the diagrams promise (components/MermaidDiagram.tsx, MIN_TEXT_PX). */
const MIN_TEXT_PX = 11;

/**
 * The smallest text of a drawn diagram in CSS px as the screen shows it: each element that
 * holds text itself, its computed font size times the SVG's scale (its drawn width over
 * its viewBox width).
 */
async function smallestText(page: Page, testId: string): Promise<{ px: number; texts: number }> {
  return page.getByTestId(testId).evaluate((figure) => {
    const svg = figure.querySelector('svg');
    if (!svg) throw new Error('no diagram drawn');
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    let px = Number.POSITIVE_INFINITY;
    let texts = 0;
    for (const el of svg.querySelectorAll('*')) {
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
      if (!own) continue;
      texts++;
      px = Math.min(px, parseFloat(getComputedStyle(el).fontSize) * scale);
    }
    return { px, texts };
  });
}

async function expectReadable(page: Page, testId: string, atLeastTexts: number): Promise<void> {
  const { px, texts } = await smallestText(page, testId);
  expect(texts, `${testId} draws its labels`).toBeGreaterThanOrEqual(atLeastTexts);
  expect(px, `${testId}: smallest text on screen, px`).toBeGreaterThanOrEqual(MIN_TEXT_PX);
}

/** Screenshots of the page as it is, in the dark theme and then the light one. */
async function inBothThemes(page: Page, name: string, ready: () => Promise<void>): Promise<void> {
  for (const theme of ['dark', 'light'] as const) {
    await page.evaluate((t) => localStorage.setItem('gt-theme', t), theme);
    await page.reload();
    await expect(page.locator('html')).toHaveClass(theme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
    await ready();
    await screenshot(page, theme === 'dark' ? name : `${name}-light`);
  }
}

test.describe('a demo town at x20', () => {
  test.describe.configure({ mode: 'serial' });
  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '20' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('draws a 12-wave plan in rows with text of 11 px or more, its timeline on engine time', async ({ page }) => {
    test.setTimeout(240_000);
    const created = await page.request.post(`${server.url}/api/convoys`, {
      data: {
        title: 'Twelve waves',
        hold: true,
        beads: Array.from({ length: 24 }, (_, i) => ({ title: `Part ${i + 1}`, rig: RIG, paths: ['ui/'], priority: 0 })),
      },
    });
    expect(created.status()).toBe(201);
    const id = (await created.json()).id as string;
    const dispatched = await page.request.post(`${server.url}/api/convoys/${id}/dispatch`, { data: { waveSize: 2 } });
    expect(dispatched.status()).toBe(200);

    await page.goto(`${server.url}/convoys/${id}`);
    const diagram = page.getByTestId('wave-diagram').locator('svg').first();
    await expect(diagram).toContainText('Wave 12: 2 beads', { timeout: 60_000 });
    await expect(diagram).toContainText('Waves 10-12');
    await expectReadable(page, 'wave-diagram', 12);
    // The page does not scroll sideways for it: the rows fit the panel.
    const overflow = await page.getByTestId('wave-diagram').evaluate((f) => {
      const box = f.querySelector('svg')!.parentElement!;
      return box.scrollWidth - box.clientWidth;
    });
    expect(overflow, 'the wave plan fits its panel').toBeLessThanOrEqual(1);

    // Wave 1 is under way: the timeline's axis says which clock it is on.
    await expect(page.getByTestId('wave-chart')).toContainText('engine time (×20)', { timeout: 120_000 });

    await inBothThemes(page, 'convoy-12-waves', async () => {
      await expect(diagram).toContainText('Wave 12: 2 beads', { timeout: 60_000 });
    });
  });

  test('after a split the patrol diagram is as tall as its content, its text 11 px or more', async ({ page }) => {
    test.setTimeout(240_000);
    const split = await page.request.post(`${server.url}/api/rigs/${RIG}/split`, {
      data: {
        partitions: [
          { name: `${RIG}-core`, globs: ['core/**'] },
          { name: `${RIG}-ui`, globs: ['ui/**'] },
          { name: `${RIG}-tests`, globs: ['tests/**'] },
        ],
      },
    });
    expect(split.status(), await split.text()).toBe(200);

    await page.goto(`${server.url}/`);
    const patrol = page.getByTestId('patrol-diagram');
    await expect(patrol.locator('svg')).toContainText(`${RIG}-tests`, { timeout: 60_000 });
    await expect(page.getByTestId('partition-diagram').locator('svg')).toContainText(`${RIG}-tests`, { timeout: 30_000 });
    await expectReadable(page, 'patrol-diagram', 4);
    await expectReadable(page, 'partition-diagram', 6);
    // Its panel holds its title and the diagram, not the partition diagram's height.
    const [panel, figure] = await Promise.all([
      page.getByRole('region', { name: 'Patrol tiers' }).boundingBox(),
      patrol.boundingBox(),
    ]);
    expect(panel!.height - figure!.height, 'px of the patrol panel beside its diagram').toBeLessThan(90);

    // The charts' time axes say they are on engine time.
    const queue = page.getByTestId('queue-depth-chart');
    await expect.poll(async () => Number(await queue.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect(queue).toContainText('engine time (×20)');

    await inBothThemes(page, 'overview-after-split', async () => {
      await expect(patrol.locator('svg')).toContainText(`${RIG}-tests`, { timeout: 60_000 });
      await expect(page.getByTestId('partition-diagram').locator('svg')).toContainText(`${RIG}-tests`);
      await page.waitForTimeout(1_000); // the charts finish drawing
    });
    await screenshotOf(page.getByRole('region', { name: 'Patrol tiers' }), 'patrol-after-split-light');
  });

  test('the silence form says its durations are real time, and a silence’s end is given in both', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(`${server.url}/alerts`);
    await expect(page.getByTestId('silence-clock')).toHaveText(
      'Durations are real time: a 1 h silence lasts a real hour, 20 h of engine time (×20).',
      { timeout: 30_000 },
    );
    await expect(page.getByText('For (real time)')).toBeVisible();
    await expect(page.getByTestId('rules-clock')).toContainText('engine time (×20)');

    const made = await page.request.post(`${server.url}/api/silences`, {
      data: { matchers: [{ name: 'rig', value: RIG }], reason: 'clock check', durationMs: 3_600_000 },
    });
    expect(made.status(), await made.text()).toBe(201);
    // Just under an hour of real time left: 59 min, not the 2 min 59 s of the old x20 silence.
    await expect(page.getByTestId('silence-ends')).toHaveText(
      /^ends in 59 min real time \(19 h 5\d min of engine time \(×20\)\)$/,
      {
        timeout: 30_000,
      },
    );
  });
});

test.describe('a 20-rig demo town', () => {
  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_DEMO_RIGS: '20', GT_DEMO_POLECATS: '2', GT_TIME_SCALE: '5' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('draws the partition and patrol diagrams with text of 11 px or more', async ({ page }) => {
    test.setTimeout(300_000);
    await page.goto(`${server.url}/`);
    const partitions = page.getByTestId('partition-diagram').locator('svg');
    await expect(partitions).toContainText('rig-20', { timeout: 120_000 });
    await expect(page.getByTestId('patrol-diagram').locator('svg')).toContainText(/Hot: \d+ rigs?/, { timeout: 60_000 });
    await expectReadable(page, 'partition-diagram', 20);
    await expectReadable(page, 'patrol-diagram', 4);
    await inBothThemes(page, 'diagrams-20-rigs', async () => {
      await expect(partitions).toContainText('rig-20', { timeout: 60_000 });
      await page.waitForTimeout(1_000);
    });
  });
});
