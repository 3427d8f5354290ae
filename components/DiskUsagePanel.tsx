/** Disk the polecats' worktrees use per rig (measured every minute on the server). */
import type { RigView } from '@/contracts/town';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function DiskUsagePanel({ rigs }: { rigs: RigView[] }) {
  const measured = rigs.filter((r) => r.diskBytes !== null);
  const total = measured.reduce((n, r) => n + r.diskBytes!, 0);
  return (
    <section
      className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
      aria-label="Worktree disk use"
      data-testid="disk-usage"
    >
      <div className="mb-2 flex items-baseline justify-between">
        <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-500">Worktree disk</h2>
        <span className="text-sm tabular-nums">{measured.length > 0 ? formatBytes(total) : '—'}</span>
      </div>
      {measured.length === 0 ? (
        <p className="text-sm text-slate-500">Measuring…</p>
      ) : (
        <table className="w-full text-sm">
          <tbody className="tabular-nums">
            {measured.map((r) => (
              <tr key={r.name}>
                <td className="font-mono">{r.name}</td>
                <td className="text-right text-slate-500">{r.polecats.length} worktrees</td>
                <td className="text-right" data-testid={`disk-${r.name}`}>
                  {formatBytes(r.diskBytes!)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
