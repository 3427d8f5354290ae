/**
 * The seed's claims, reproduced by the real engine on the what-if lab: direction and
 * rough size of each, the same seed giving the same run, and bad parameters refused.
 */
import { describe, expect, it } from 'vitest';
import { LabParamsError } from '../../server/lab/params';
import { runLab } from '../../server/lab/run';
import { findScenario, formatReport, runScenario } from '../../server/lab/scenarios';
import type { ScenarioReport } from '../../contracts/lab';

async function scenario(id: string, overrides = {}): Promise<ScenarioReport> {
  const s = findScenario(id);
  if (!s) throw new Error(`no scenario ${id}`);
  return runScenario(s, overrides);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the what-if lab reproduces the seed', () => {
  it('raises the conflict rate with polecats on one rig, near the seed table, and the queue grows', async () => {
    const report = await scenario('conflicts');
    const [five, fifteen, thirty] = report.rows.map((r) => r.result.figures);
    expect(five.conflictRate!).toBeLessThan(fifteen.conflictRate!);
    expect(fifteen.conflictRate!).toBeLessThan(thirty.conflictRate!);
    // The seed: ~10%, ~30%, 50%+. Rough size: within a factor the seed's prose allows.
    expect(five.conflictRate!).toBeGreaterThan(0.03);
    expect(five.conflictRate!).toBeLessThan(0.2);
    expect(fifteen.conflictRate!).toBeGreaterThan(0.18);
    expect(fifteen.conflictRate!).toBeLessThan(0.42);
    expect(thirty.conflictRate!).toBeGreaterThan(0.33);
    expect(thirty.queueDepth.max!).toBeGreaterThan(five.queueDepth.max! * 2);
    expect(five.attempts).toBeGreaterThan(40); // a rate over a real sample
    expect(formatReport(report)).toMatch(/5 polecats\s+~10%\s+\d+%/);
  });

  it('grows the sequential patrol with rigs while tiered patrols keep hot rigs at 30 s', async () => {
    const report = await scenario('patrol');
    const gap = (label: string) => report.rows.find((r) => r.label === label)!.result.figures.hotPatrolGapMs.p95!;
    expect(gap('3 rigs, sequential')).toBeLessThan(gap('10 rigs, sequential'));
    expect(gap('10 rigs, sequential')).toBeLessThan(gap('20 rigs, sequential'));
    // ~30 s at 3 rigs, minutes at 20 (the seed: ~5 min).
    expect(gap('3 rigs, sequential')).toBeLessThanOrEqual(45_000);
    expect(gap('20 rigs, sequential')).toBeGreaterThanOrEqual(150_000);
    for (const rigs of [3, 10, 20]) expect(gap(`${rigs} rigs, tiered`)).toBeLessThanOrEqual(30_000);
  });

  it('comes near 3x merge throughput with 3 Refinery workers at a low failure rate', async () => {
    const report = await scenario('workers');
    const [one, three] = report.rows.map((r) => r.result.figures);
    const ratio = three.mergesPerHour / one.mergesPerHour;
    expect(ratio).toBeGreaterThan(2.3);
    expect(ratio).toBeLessThanOrEqual(3.1);
    expect(three.checkFailureRate!).toBeLessThan(0.05);
  });

  it('has fewer conflicts when a convoy is staggered in waves than dispatched all at once', async () => {
    const report = await scenario('stagger');
    const [all, waves] = report.rows.map((r) => r.result.figures);
    expect(all.convoyLandedMs).not.toBeNull();
    expect(waves.convoyLandedMs).not.toBeNull();
    expect(waves.conflicts).toBeLessThan(all.conflicts);
    expect(all.conflictRate!).toBeGreaterThan(0.1);
  });

  it('lowers the conflict rate and the per-rig queue when a 20-polecat rig is split into 3', async () => {
    const one: number[] = [];
    const split: number[] = [];
    const queueOne: number[] = [];
    const queueSplit: number[] = [];
    for (const seed of [1, 2]) {
      const [a, b] = (await scenario('split', { seed })).rows.map((r) => r.result.figures);
      one.push(a.conflictRate!);
      split.push(b.conflictRate!);
      queueOne.push(a.queueDepth.mean!);
      queueSplit.push(b.queueDepth.mean!);
    }
    expect(mean(split)).toBeLessThan(mean(one));
    expect(mean(queueSplit)).toBeLessThan(mean(queueOne));
  });
});

describe('what-if runs', () => {
  it('gives identical results for the same scenario and seed, and different ones for another seed', async () => {
    const params = { polecatsPerRig: 12, hours: 4, seed: 7, stallRate: 0.05 };
    const a = await runLab(params);
    const b = await runLab(params);
    const c = await runLab({ ...params, seed: 8 });
    expect(b.figures).toEqual(a.figures);
    expect(b.series).toEqual(a.series);
    expect(c.figures).not.toEqual(a.figures);
  });

  it('runs stalls, failures and rate limits through the real Witness and limiter', async () => {
    const r = await runLab({ polecatsPerRig: 10, hours: 6, stallRate: 0.3, failureRate: 0.3, tokensPerMinute: 8_000 });
    expect(r.figures.stalls).toBeGreaterThan(0);
    expect(r.figures.rejected).toBeGreaterThan(0);
    expect(r.figures.throttled).toBeGreaterThan(0);
    expect(r.figures.merged).toBeGreaterThan(0);
  });

  it.each([
    [{ polecatsPerRig: -1 }, /polecatsPerRig/],
    [{ rigs: 0 }, /rigs/],
    [{ rigs: 200, polecatsPerRig: 100 }, /at most 2000 polecats/],
    [{ hours: 1_000 }, /hours/],
    [{ workers: 40 }, /workers/],
    [{ split: 5, areas: 3 }, /split/],
    [{ convoy: { beads: 10, waveSize: 20 } }, /waveSize/],
    [{ polecats: 5 }, /polecats/],
    [{ polecatsPerRig: 0, convoy: { beads: 5, waveSize: null } }, /no active rig has polecats/],
  ])('refuses %j with a clear error', async (params, message) => {
    const run = runLab(params as never);
    await expect(run).rejects.toBeInstanceOf(LabParamsError);
    await expect(runLab(params as never)).rejects.toThrow(message);
  });
});
