/**
 * Readable in both themes: axe-core's `color-contrast` rule (WCAG AA: 4.5:1 for normal
 * text, 3:1 for large) over every visible text node of the page as drawn now, each against
 * the background it is actually painted on (axe walks the stacked elements, opacity
 * included). Soft, so one run lists every unreadable element of every page and state.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

export async function expectReadable(page: Page, where: string): Promise<void> {
  const { violations, incomplete } = await new AxeBuilder({ page }).withRules(['color-contrast']).analyze();
  // axe files text drawn in its own background's colour (1:1, e.g. a badge with no text
  // colour of its own) as "needs review" rather than as a violation: it is unreadable.
  const invisible = incomplete.map((r) => ({
    ...r,
    nodes: r.nodes.filter((n) => n.any.some((c) => (c.data as { messageKey?: string } | null)?.messageKey === 'equalRatio')),
  }));
  const unreadable = [...violations, ...invisible].flatMap((v) =>
    v.nodes.map((n) => `${n.target.join(' ')} "${textOf(n.html)}": ${n.any[0]?.message ?? v.help}`),
  );
  expect.soft(unreadable, `${where}: text below WCAG AA contrast`).toEqual([]);
}

/** The element's text, short: enough to find it on the screenshot. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60);
