/**
 * The lab as the server offers it to the API and the lab page: scenarios, what-if runs,
 * calibration from a live rig and previews of the operator's levers. Runs take turns (one
 * at a time), because they share the server's CPU with the live town, and interactive
 * runs are capped in size: the full-size runs are the bench's.
 */
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';
import { SerialQueue } from '../engine/serial-queue';
import { notFound } from '../engine/errors';
import { calibrate, type ReplayedRate } from './calibrate';
import { historyRequestSchema, type HistoryProgress, type HistoryReport } from '../../contracts/lab-history';
import { splitSuggestion } from '../queries/split-view';
import { replayOffLoop } from './history/off-loop';
import {
  type Calibration,
  previewSchema,
  type Preview,
  type PreviewProgress,
  type PreviewRequest,
  type LabResult,
  type ScenarioReport,
  type ScenarioSummary,
} from '../../contracts/lab';
import { LabParamsError, parseLabParams } from './params';
import { previewChange, type PreviewOptions } from './preview';
import { RunCache } from './run-cache';
import { runLab } from './run';
import { SCENARIOS, findScenario, runScenario } from './scenarios';

/** Polecat-hours one interactive run may simulate (a few seconds of CPU at most). */
export const INTERACTIVE_POLECAT_HOURS = 4_000;
/** Beads one interactive run may work through (quick beads make many events per hour). */
export const INTERACTIVE_BEADS = 20_000;

export class LabService {
  private readonly turns = new SerialQueue();
  /** The last history replay per rig: calibration and previews read it. */
  private readonly histories = new Map<string, HistoryReport>();
  private historyProgress: HistoryProgress = { state: 'idle' };
  /** Previews' runs: the candidates of a lever share the calibration's and the "before" runs. */
  private readonly previewRuns = new RunCache();
  /** Per rig, the spread its last preview's calibration fitted: the next one checks it first. */
  private readonly fittedSpread = new Map<string, number>();

  constructor(
    private readonly town: Town,
    private readonly store: TownStore,
  ) {}

  scenarios(): ScenarioSummary[] {
    return SCENARIOS.map((s) => ({
      id: s.id,
      title: s.title,
      claim: s.claim,
      variants: s.variants.map((v) => ({ label: v.label, seedFigure: v.seedFigure, params: v.params })),
    }));
  }

  async run(input: unknown): Promise<LabResult> {
    const params = parseLabParams(input);
    const polecatHours = params.rigs * params.polecatsPerRig * params.hours;
    if (polecatHours > INTERACTIVE_POLECAT_HOURS) {
      throw new LabParamsError([
        `${polecatHours} polecat-hours is too big for an interactive run (at most ${INTERACTIVE_POLECAT_HOURS}); run larger what-ifs with npm run bench`,
      ]);
    }
    const beads = (polecatHours * 60) / params.workMinutes;
    if (beads > INTERACTIVE_BEADS) {
      throw new LabParamsError([
        `about ${Math.round(beads)} beads is too big for an interactive run (at most ${INTERACTIVE_BEADS}): fewer hours or polecats, or longer work`,
      ]);
    }
    return this.inTurn(() => runLab(params));
  }

  async runScenario(id: string, overrides: unknown): Promise<ScenarioReport> {
    const scenario = findScenario(id);
    if (!scenario) throw notFound('scenario', id);
    const { seed } = parseLabParams(overrides ?? {});
    return this.inTurn(() => runScenario(scenario, { seed }));
  }

  /** `from: 'history'`: fit the conflict rate to the rig's replayed history (replayed now if the lab has none). */
  async calibrate(rig: string, from: 'events' | 'history' = 'events'): Promise<Calibration> {
    if (from === 'history' && !this.histories.has(rig)) await this.replayHistory({ rig });
    return this.inTurn(() => calibrate(this.town, this.store, rig, 1, from === 'history' ? this.replayedRate(rig) : undefined));
  }

  /**
   * Replays the rig's own history (server/lab/history) in a worker thread: the conflict
   * curve and the partitions. Takes its turn with the other lab runs.
   */
  async replayHistory(input: unknown): Promise<HistoryReport> {
    const parsed = historyRequestSchema.safeParse(input);
    if (!parsed.success) throw new LabParamsError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`));
    const request = parsed.data;
    const rig = this.town.rigs.get(request.rig);
    if (!rig) throw notFound('rig', request.rig);
    const suggestion = await splitSuggestion(this.town, request.rig).catch(() => null);
    return this.inTurn(async () => {
      this.historyProgress = {
        state: 'running',
        rig: request.rig,
        windowsDone: 0,
        windows: request.windows,
        startedAt: Date.now(),
      };
      try {
        const report = await replayOffLoop(
          {
            ...request,
            repo: rig.repoPath,
            branch: `refs/heads/${rig.targetBranch}`,
            polecats: this.town.polecats.list(request.rig).length,
            suggestion: suggestion?.partitions,
          },
          (windowsDone, windows) => {
            if (this.historyProgress.state === 'running')
              this.historyProgress = { ...this.historyProgress, windowsDone, windows };
          },
        );
        this.histories.set(request.rig, report);
        return report;
      } finally {
        this.historyProgress = { state: 'idle' };
      }
    });
  }

  /** The running replay's progress, and the last report of `rig` (null: never replayed here). */
  history(rig: string | null): { progress: HistoryProgress; report: HistoryReport | null } {
    return { progress: this.historyProgress, report: rig ? (this.histories.get(rig) ?? null) : null };
  }

  private replayedRate(rig: string): ReplayedRate | undefined {
    const report = this.histories.get(rig);
    if (!report) return undefined;
    const n = Math.min(report.maxN, Math.max(1, this.town.polecats.list(rig).length));
    const point = report.curve[n - 1];
    return point?.windows ? { n, rate: point.rate, windows: point.windows } : undefined;
  }

  /** The preview request, validated (a bad one throws before any work starts). */
  previewRequest(input: unknown): PreviewRequest {
    const parsed = previewSchema.safeParse(input);
    if (!parsed.success) throw new LabParamsError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`));
    if (!this.town.rigs.get(parsed.data.rig)) throw notFound('rig', parsed.data.rig);
    return parsed.data;
  }

  /** `signal`: the asker went away; the preview leaves the queue or stops its run. */
  async preview(input: unknown, options: Omit<PreviewOptions, 'cache'> = {}): Promise<Preview> {
    const request = this.previewRequest(input);
    let at = null as PreviewProgress | null;
    const onProgress = (p: PreviewProgress) => {
      at = p;
      options.onProgress?.(p);
    };
    try {
      const preview = await this.inTurn(
        () =>
          previewChange(this.town, this.store, request, this.replayedRate(request.rig), {
            ...options,
            onProgress,
            cache: this.previewRuns,
            hint: this.fittedSpread.get(request.rig),
          }),
        options.signal,
      );
      if (preview.calibration.fittedTo) this.fittedSpread.set(request.rig, preview.calibration.params.modulesPerArea);
      return preview;
    } catch (err) {
      // Said where it stopped, so an operator (and the e2e test) can see the work did stop.
      if (options.signal?.aborted)
        console.log(
          `[lab] preview of ${request.rig} stopped ${at ? `at step ${at.step} of ${at.steps}` : 'before it started'}: the request closed`,
        );
      throw err;
    }
  }

  private inTurn<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.turns.run(fn, signal);
  }
}
