'use client';
/**
 * The what-if lab: the same engine on a virtual clock. Pick one of the seed's scenarios
 * (each run prints the seed's figure beside the simulated one) or start from a live rig
 * (its parameters calibrated from its history), change the levers, run, and compare the
 * runs side by side. Nothing here changes the town.
 */
import { useEffect, useState } from 'react';
import type { Calibration, LabResult, ScenarioReport, ScenarioSummary } from '@/contracts/lab';
import type { TownOverview } from '@/contracts/town';
import { labGet, labPost } from '@/lib/lab-client';
import { useCanAct } from '@/lib/session';
import { BUTTON, BUTTON_QUIET, INPUT, PANEL, PANEL_TITLE } from './ConvoyParts';
import { LabCompare, type LabRun } from './LabCompare';
import { LabHistory } from './LabHistory';
import { DEFAULT_FORM, LabForm, type FormParams } from './LabForm';

/** Runs kept on the page; older ones drop off so the comparison stays readable. */
const MAX_RUNS = 8;

/** Runs take the server's CPU for seconds: the server refuses them to viewers (403), and the page says so. */
const OPERATORS_ONLY = 'Lab runs are for operators: a viewer can read the results';

export function LabPage() {
  const canAct = useCanAct();
  const [scenarios, setScenarios] = useState<ScenarioSummary[]>([]);
  const [rigs, setRigs] = useState<string[]>([]);
  const [scenarioId, setScenarioId] = useState('conflicts');
  const [rig, setRig] = useState('');
  const [form, setForm] = useState<FormParams>(DEFAULT_FORM);
  const [runs, setRuns] = useState<LabRun[]>([]);
  const [nextId, setNextId] = useState(1);
  const [pending, setPending] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [calibration, setCalibration] = useState<Calibration | null>(null);
  const [fromHistory, setFromHistory] = useState(false);

  useEffect(() => {
    void labGet<{ scenarios: ScenarioSummary[] }>('scenarios').then((a) => {
      if (a.ok) setScenarios(a.data.scenarios);
      else setMessage({ ok: false, text: `Scenarios unavailable: ${a.message}` });
    });
    void fetch('/api/town', { cache: 'no-store' })
      .then((r) => (r.ok ? (r.json() as Promise<TownOverview>) : null))
      .then((town) => {
        const names = town?.rigs.map((r) => r.name) ?? [];
        setRigs(names);
        setRig((current) => current || names[0] || '');
      })
      .catch(() => setRigs([]));
  }, []);

  const addRuns = (added: Array<Omit<LabRun, 'id'>>) => {
    setRuns((prev) => [...prev, ...added.map((r, i) => ({ ...r, id: nextId + i }))].slice(-MAX_RUNS));
    setNextId((n) => n + added.length);
  };

  async function runScenario() {
    setPending('scenario');
    setMessage(null);
    const answer = await labPost<ScenarioReport>(`scenarios/${encodeURIComponent(scenarioId)}`, { seed: form.seed });
    setPending(null);
    if (!answer.ok) return setMessage({ ok: false, text: answer.message });
    const report = answer.data;
    addRuns(
      report.rows.map((row) => ({
        name: row.label,
        params: row.result.params,
        figures: row.result.figures,
        series: row.result.series,
        wallMs: row.result.run.wallMs,
        seedFigure: row.seedFigure,
        metric: report.metric,
      })),
    );
    setMessage({
      ok: true,
      text: `${report.scenario.title}: ${report.rows.length} runs in ${(report.wallMs / 1000).toFixed(1)} s`,
    });
  }

  async function runWhatIf() {
    setPending('run');
    setMessage(null);
    const answer = await labPost<LabResult>('run', form);
    setPending(null);
    if (!answer.ok) return setMessage({ ok: false, text: answer.message });
    const r = answer.data;
    addRuns([{ name: `run ${nextId}`, params: r.params, figures: r.figures, series: r.series, wallMs: r.run.wallMs }]);
    setMessage({ ok: true, text: `${r.params.hours} virtual hours in ${(r.run.wallMs / 1000).toFixed(2)} s` });
  }

  async function startFromRig() {
    if (!rig) return;
    setPending('calibrate');
    setMessage(null);
    const from = fromHistory ? '&from=history' : '';
    const answer = await labGet<Calibration>(`calibrate?rig=${encodeURIComponent(rig)}${from}`);
    setPending(null);
    if (!answer.ok) return setMessage({ ok: false, text: answer.message });
    const c = answer.data;
    setCalibration(c);
    setForm({ ...DEFAULT_FORM, ...c.params, convoy: null, activeRigs: undefined });
    setMessage({ ok: true, text: `Parameters calibrated from ${c.rig}; change the levers and run` });
  }

  const scenario = scenarios.find((s) => s.id === scenarioId);
  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <header>
        <h1 className="text-2xl font-semibold">What-if lab</h1>
        <p className="text-sm text-slate-500">
          The real Refinery, Witness, Deacon and Mayor on a virtual clock, over modelled git and agents. Nothing here changes the
          town.
        </p>
      </header>

      <div className="grid gap-6 lg:grid-cols-2">
        <section className={PANEL} aria-labelledby="lab-scenarios">
          <h2 id="lab-scenarios" className={PANEL_TITLE}>
            The seed&apos;s claims
          </h2>
          <div className="flex flex-wrap items-center gap-2">
            <select
              value={scenarioId}
              onChange={(e) => setScenarioId(e.target.value)}
              className={INPUT}
              data-testid="lab-scenario"
              aria-label="Scenario"
            >
              {scenarios.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.title}
                </option>
              ))}
            </select>
            <button
              type="button"
              onClick={runScenario}
              disabled={pending !== null || !scenario || !canAct}
              title={canAct ? undefined : OPERATORS_ONLY}
              className={BUTTON}
              data-testid="lab-run-scenario"
            >
              {pending === 'scenario' ? 'Running…' : 'Run scenario'}
            </button>
          </div>
          {scenario && (
            <p className="mt-2 text-sm text-slate-500" data-testid="lab-claim">
              Seed: “{scenario.claim}”
            </p>
          )}
        </section>

        <section className={PANEL} aria-labelledby="lab-from-rig">
          <h2 id="lab-from-rig" className={PANEL_TITLE}>
            Start from a rig
          </h2>
          <div className="flex flex-wrap items-center gap-2">
            <select value={rig} onChange={(e) => setRig(e.target.value)} className={INPUT} data-testid="lab-rig" aria-label="Rig">
              {rigs.length === 0 && <option value="">no rigs</option>}
              {rigs.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            <button
              type="button"
              onClick={startFromRig}
              disabled={pending !== null || !rig}
              className={BUTTON_QUIET}
              data-testid="lab-calibrate"
            >
              {pending === 'calibrate' ? 'Calibrating…' : 'Start from this rig'}
            </button>
            <label className="flex items-center gap-1 text-sm text-slate-500">
              <input
                type="checkbox"
                checked={fromHistory}
                onChange={(e) => setFromHistory(e.target.checked)}
                data-testid="lab-calibrate-history"
              />
              conflicts from its replayed git history
            </label>
          </div>
          {calibration && (
            <p className="mt-2 text-sm text-slate-500" data-testid="lab-calibration">
              {calibration.rig}: {calibration.recorded.polecats} polecats, {calibration.recorded.workers} worker(s), work{' '}
              {calibration.recorded.workMinutes.value?.toFixed(1) ?? '?'} min (n={calibration.recorded.workMinutes.sample}),
              conflict rate{' '}
              {calibration.recorded.conflictRate.value === null
                ? '–'
                : `${(calibration.recorded.conflictRate.value * 100).toFixed(0)}%`}{' '}
              (n=
              {calibration.recorded.conflictRate.sample}){calibration.notes.length > 0 && `. ${calibration.notes.join('; ')}`}
            </p>
          )}
        </section>
      </div>

      <section className={PANEL} aria-labelledby="lab-params">
        <h2 id="lab-params" className={PANEL_TITLE}>
          What if…
        </h2>
        <LabForm value={form} onChange={setForm} />
        <div className="mt-4 flex flex-wrap items-center gap-3">
          <button
            type="button"
            onClick={runWhatIf}
            disabled={pending !== null || !canAct}
            title={canAct ? undefined : OPERATORS_ONLY}
            className={BUTTON}
            data-testid="lab-run"
          >
            {pending === 'run' ? 'Running…' : 'Run'}
          </button>
          {!canAct && (
            <span className="text-sm text-slate-500" data-testid="lab-operators-only">
              {OPERATORS_ONLY}
            </span>
          )}
          <button
            type="button"
            onClick={() => setRuns([])}
            disabled={runs.length === 0}
            className={BUTTON_QUIET}
            data-testid="lab-clear"
          >
            Clear runs
          </button>
          <p
            role="status"
            aria-live="polite"
            data-testid="lab-message"
            className={`text-sm ${message === null ? '' : message.ok ? 'text-emerald-700 dark:text-emerald-500' : 'text-rose-700 dark:text-rose-400'}`}
          >
            {message?.text}
          </p>
        </div>
      </section>

      <LabHistory rigs={rigs} />

      <section className={PANEL} aria-labelledby="lab-runs">
        <h2 id="lab-runs" className={PANEL_TITLE}>
          Runs side by side
        </h2>
        {runs.length === 0 ? (
          <p className="text-sm text-slate-500" data-testid="lab-empty">
            No runs yet: run a scenario or a what-if.
          </p>
        ) : (
          <LabCompare runs={runs} />
        )}
      </section>
    </main>
  );
}
