/** The town's scale tier by the seed's table, with the recommended setup beside the actual one. */
import type { ScaleTierView } from '@/contracts/town';

export function ScaleTierPanel({ scale }: { scale: ScaleTierView }) {
  return (
    <section
      className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
      aria-label="Scale tier"
      data-testid="scale-tier"
    >
      <div className="mb-2 flex items-baseline justify-between">
        <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-500">Scale tier</h2>
        <span className="text-2xl font-semibold" data-testid="scale-tier-name">
          {scale.tier}
        </span>
      </div>
      <table className="w-full text-left text-sm">
        <thead className="text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th />
            <th className="font-medium">Recommended</th>
            <th className="font-medium">Actual</th>
          </tr>
        </thead>
        <tbody className="align-top">
          <tr>
            <th className="pr-2 font-normal text-slate-500">Agents</th>
            <td>{scale.recommended.agents}</td>
            <td className="tabular-nums">{scale.agents}</td>
          </tr>
          <tr>
            <th className="pr-2 font-normal text-slate-500">Rigs</th>
            <td>{scale.recommended.rigs}</td>
            <td className="tabular-nums">{scale.rigs}</td>
          </tr>
          <tr>
            <th className="pr-2 font-normal text-slate-500">Setup</th>
            <td className="pr-2">{scale.recommended.setup}</td>
            <td data-testid="scale-tier-setup">{scale.actual.setup}</td>
          </tr>
        </tbody>
      </table>
      <ul className="mt-2 flex flex-wrap gap-1 text-xs">
        {scale.actual.strategies.map((s) => (
          <li
            key={s.name}
            className={`rounded px-1.5 py-0.5 ${s.inUse ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300' : 'bg-slate-100 text-slate-500 dark:bg-slate-800'}`}
          >
            {s.inUse ? '✓' : '·'} {s.name}
          </li>
        ))}
      </ul>
      {scale.advice.length > 0 && (
        <ul className="mt-2 list-disc pl-5 text-sm text-amber-800 dark:text-amber-300" data-testid="scale-advice">
          {scale.advice.map((a) => (
            <li key={a}>{a}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
