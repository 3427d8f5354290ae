/** The socket's state, always visible: a page never passes a stale view off as live. */
import type { Connection } from './useTownStream';

export function ConnectionBadge({ connection }: { connection: Connection }) {
  const style = connection === 'live' ? 'bg-emerald-700' : connection === 'connecting' ? 'bg-slate-600' : 'bg-rose-600';
  const text = connection === 'live' ? 'live' : connection === 'connecting' ? 'connecting' : 'disconnected, reconnecting';
  return (
    <span className={`rounded px-2 py-0.5 font-medium text-white ${style}`} data-testid="connection" role="status">
      {text}
    </span>
  );
}

/** Shown when the engine runs faster (or slower) than real time, so ages are read right. */
export function TimeScaleBadge({ timeScale }: { timeScale: number }) {
  if (timeScale === 1) return null;
  return (
    <span
      className="rounded bg-fuchsia-700 px-2 py-0.5 font-medium text-white"
      data-testid="time-scale"
      title="Engine time runs faster than real time"
    >
      time ×{timeScale}
    </span>
  );
}
