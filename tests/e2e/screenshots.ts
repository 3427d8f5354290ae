/**
 * Where browser tests put their screenshots: `test-results/screenshots/` on every run (to
 * look at), and `docs/screenshots/` (the README's pictures) only when
 * GT_UPDATE_SCREENSHOTS=1, so a test run leaves the work tree clean.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * A full-page screenshot shows the whole page as a person scrolling through it sees it: the
 * rig cards use `content-visibility: auto` (the browser draws only those near the screen),
 * which would leave the off-screen ones blank in one capture of the whole page.
 */
const AS_IF_ON_SCREEN = '* { content-visibility: visible !important; }';

export async function screenshot(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  const dirs = [path.join(ROOT, 'test-results', 'screenshots')];
  if (process.env.GT_UPDATE_SCREENSHOTS === '1') dirs.push(path.join(ROOT, 'docs', 'screenshots'));
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage, style: AS_IF_ON_SCREEN });
  }
}

/** A screenshot of one section of a page (same places as `screenshot`). */
export async function screenshotOf(section: Locator, name: string): Promise<void> {
  const dirs = [path.join(ROOT, 'test-results', 'screenshots')];
  if (process.env.GT_UPDATE_SCREENSHOTS === '1') dirs.push(path.join(ROOT, 'docs', 'screenshots'));
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true });
    await section.screenshot({ path: path.join(dir, `${name}.png`) });
  }
}

/**
 * The page as it is, in the dark theme and then the light one (`<name>-dark`, `<name>-light`);
 * leaves it as it was. A modal dialog's backdrop covers the screen, not the page: take those
 * with `fullPage: false`.
 */
export async function screenshotBothThemes(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  const wasDark = await page.evaluate(() => document.documentElement.classList.contains('dark'));
  for (const theme of ['dark', 'light'] as const) {
    await page.evaluate((dark) => document.documentElement.classList.toggle('dark', dark), theme === 'dark');
    await screenshot(page, `${name}-${theme}`, { fullPage });
  }
  await page.evaluate((dark) => document.documentElement.classList.toggle('dark', dark), wasDark);
}
