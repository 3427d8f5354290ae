/**
 * The one way a spec gets a server and a signed-in browser: `test` here is Playwright's,
 * extended with
 *
 * - `town` (an option, `test.use({ town: { env } })`): how this spec's server starts.
 * - `server`: the real server for the spec, started at its first test and stopped when
 *   the worker moves on to a spec (or describe block) with another town, or ends. The
 *   servers live in a worker-scoped fixture, so a spec's tests share one server and one
 *   demo town, as they did with beforeAll/afterAll, and no spec sees another's town.
 * - `signIn(role, path?, name?)`: a page in a fresh browser context signed in the way a
 *   person is, through the sign-in URL the server prints (the default `page` acts as the
 *   operator through the bearer header playwright.config.ts sends).
 *
 * Keyed by spec file and town options rather than made a worker option on purpose: a
 * worker option would start a new worker (and a new browser) for every spec, which is
 * slower, and specs with equal options would share a town.
 */
import { test as base, type Page } from '@playwright/test';
import { startServer, type RunningServer } from './server';

export { expect, type Locator, type Page } from '@playwright/test';
export type { RunningServer } from './server';

export interface TownOptions {
  /** Environment of the server process (GT_DEMO, GT_TIME_SCALE ...). */
  env?: Record<string, string>;
}

type SignIn = (role: 'operator' | 'viewer', path?: string, name?: string) => Promise<Page>;

/** The worker's current server: at most one runs at a time (2-core machines). */
class Towns {
  private current: { key: string; server: RunningServer } | null = null;

  async serve(key: string, options: TownOptions): Promise<RunningServer> {
    if (this.current?.key === key) return this.current.server;
    await this.close();
    const server = await startServer({ env: options.env });
    this.current = { key, server };
    return server;
  }

  async close(): Promise<void> {
    const running = this.current;
    this.current = null;
    await running?.server.stop();
  }
}

export const test = base.extend<{ town: TownOptions; server: RunningServer; signIn: SignIn }, { towns: Towns }>({
  town: [{}, { option: true }],

  towns: [
    // Playwright reads a fixture's dependencies from its first parameter's pattern: `{}` is none.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const towns = new Towns();
      await use(towns);
      await towns.close();
    },
    { scope: 'worker' },
  ],

  server: [
    async ({ towns, town }, use, testInfo) => {
      // One server per spec file and town: a describe block with other options gets its own.
      await use(await towns.serve(`${testInfo.file}\n${JSON.stringify(town)}`, town));
    },
    // Starting a server (up to 90 s) is not the test's time, as it was not in beforeAll.
    { timeout: 120_000 },
  ],

  signIn: async ({ browser, server }, use) => {
    const contexts: Array<{ close(): Promise<void> }> = [];
    await use(async (role, path = '/', name) => {
      // No bearer header: the sign-in URL's token sets the session cookie, as for a person.
      const context = await browser.newContext({ extraHTTPHeaders: {} });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(server.signInUrl(role, path, name));
      return page;
    });
    for (const context of contexts) await context.close();
  },
});
