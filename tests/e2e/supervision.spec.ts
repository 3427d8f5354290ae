/**
 * Supervision against a real server: a scripted polecat made to hang is found by the
 * Witness (shown on the rig page), climbs the ladder to an escalation (shown on the
 * overview), and an operator acknowledges and resolves it from the page.
 */
import { expect, test, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

test.describe('supervision', () => {
  let server: RunningServer;
  // One engine minute passes in one real second.
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '60' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('shows an injected hang being detected, escalated, acknowledged and resolved', async ({ page, request }) => {
    test.setTimeout(240_000);
    const command = (name: string, body: unknown) => request.post(`${server.url}/api/commands/${name}`, { data: body });
    // A Witness patrolling every minute, calling a polecat unresponsive after a minute of silence.
    const configured = await command('witness.configure', { rig: 'myproject', intervalMs: 60_000, heartbeatTimeoutMs: 60_000 });
    expect(configured.status()).toBe(200);
    const injected = await command('polecat.inject', { polecat: 'myproject/furiosa', failure: 'hang', sticky: true });
    expect(injected.status()).toBe(200);
    // Bad input is refused and changes nothing.
    expect((await command('witness.configure', { rig: 'myproject', intervalMs: 0 })).status()).toBe(400);
    expect((await command('rig.tier', { rig: 'myproject', tier: 'lukewarm' })).status()).toBe(400);
    expect((await command('rig.park', { rig: 'atlantis' })).status()).toBe(404);

    await page.goto(`${server.url}/rigs/myproject`);
    await expect(page.getByTestId('witness')).toContainText('every 1 min');
    await expect(page.getByTestId('health-furiosa')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('health-furiosa')).toHaveText(/unresponsive|zombie|stalled/);

    await page.goto(server.url + '/');
    const escalation = page.locator('[data-testid^=escalation-esc-]').first();
    await expect(escalation).toBeVisible({ timeout: 120_000 });
    await expect(escalation).toContainText('witness');
    await expect(escalation).toContainText('myproject/furiosa');
    await screenshot(page, 'supervision');

    await escalation.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(escalation).toContainText('acknowledged by local-operator');
    await escalation.getByRole('button', { name: 'Resolve' }).click();
    await expect(escalation).toBeHidden();
    const open = await (await request.get(`${server.url}/api/escalations?status=open,acknowledged`)).json();
    expect(open.filter((e: { polecatId: string }) => e.polecatId === 'myproject/furiosa')).toHaveLength(0);
  });
});
