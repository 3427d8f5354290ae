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
import { calibrate } from './calibrate';
import {
  type Calibration,
  previewSchema,
  type Preview,
  type LabResult,
  type ScenarioReport,
  type ScenarioSummary,
} from '../../contracts/lab';
import { LabParamsError, parseLabParams } from './params';
import { previewChange } from './preview';
import { runLab } from './run';
import { SCENARIOS, findScenario, runScenario } from './scenarios';

/** Polecat-hours one interactive run may simulate (a few seconds of CPU at most). */
export const INTERACTIVE_POLECAT_HOURS = 4_000;
/** Beads one interactive run may work through (quick beads make many events per hour). */
export const INTERACTIVE_BEADS = 20_000;

export class LabService {
  private readonly turns = new SerialQueue();

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

  async calibrate(rig: string): Promise<Calibration> {
    return this.inTurn(() => calibrate(this.town, this.store, rig));
  }

  async preview(input: unknown): Promise<Preview> {
    const parsed = previewSchema.safeParse(input);
    if (!parsed.success) throw new LabParamsError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`));
    if (!this.town.rigs.get(parsed.data.rig)) throw notFound('rig', parsed.data.rig);
    return this.inTurn(() => previewChange(this.town, this.store, parsed.data));
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    return this.turns.run(fn);
  }
}
