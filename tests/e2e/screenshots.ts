/**
 * Where browser tests put their screenshots: `test-results/screenshots/` on every run (to
 * look at), and `docs/screenshots/` (the README's pictures) only when
 * GT_UPDATE_SCREENSHOTS=1, so a test run leaves the work tree clean.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export async function screenshot(page: Page, name: string): Promise<void> {
  const dirs = [path.join(ROOT, 'test-results', 'screenshots')];
  if (process.env.GT_UPDATE_SCREENSHOTS === '1') dirs.push(path.join(ROOT, 'docs', 'screenshots'));
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  }
}
