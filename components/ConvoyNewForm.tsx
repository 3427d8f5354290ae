'use client';
/**
 * A new convoy of N placeholder beads on one rig and area: enough to try dispatching and
 * staggering from the pages (real work arrives through the API or `bd`). Held by default,
 * so the operator chooses how to dispatch it on its page.
 */
import { useRouter } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';
import { callCommand } from '@/lib/commands';
import { BUTTON, INPUT } from './ConvoyParts';

const AREAS = ['ui/', 'core/', 'tests/'];

export function ConvoyNewForm({ rigs }: { rigs: string[] }) {
  const router = useRouter();
  const [title, setTitle] = useState('Staggered sprint');
  const [count, setCount] = useState('8');
  const [rig, setRig] = useState<string | null>(null);
  const [area, setArea] = useState(AREAS[0]);
  const [priority, setPriority] = useState('1');
  const [hold, setHold] = useState(true);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const chosenRig = rig ?? rigs[0] ?? '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (pending) return;
    setPending(true);
    setError(null);
    const n = Number(count);
    const beads = Array.from({ length: Number.isInteger(n) && n > 0 && n <= 500 ? n : 0 }, (_, i) => ({
      title: `${title.trim() || 'Convoy'}: part ${i + 1}`,
      rig: chosenRig || undefined,
      paths: [area],
      priority: Number(priority),
    }));
    const r = await callCommand('convoy.create', { title, hold, beads });
    setPending(false);
    if (!r.ok) return setError(r.message);
    router.push(`/convoys/${encodeURIComponent((r.data as { id: string }).id)}`);
  }

  const label = 'block text-xs uppercase tracking-wide text-slate-500';
  return (
    <form onSubmit={submit} noValidate className="space-y-3" aria-label="New convoy">
      <div>
        <label htmlFor={`${id}-title`} className={label}>
          Title
        </label>
        <input id={`${id}-title`} value={title} onChange={(e) => setTitle(e.target.value)} className={`${INPUT} w-full`} />
      </div>
      <div className="grid grid-cols-2 gap-3">
        <div>
          <label htmlFor={`${id}-count`} className={label}>
            Beads
          </label>
          <input
            id={`${id}-count`}
            type="number"
            min={1}
            max={500}
            value={count}
            onChange={(e) => setCount(e.target.value)}
            className={`${INPUT} w-full`}
          />
        </div>
        <div>
          <label htmlFor={`${id}-priority`} className={label}>
            Priority
          </label>
          <select
            id={`${id}-priority`}
            value={priority}
            onChange={(e) => setPriority(e.target.value)}
            className={`${INPUT} w-full`}
          >
            {[0, 1, 2, 3, 4].map((p) => (
              <option key={p} value={p}>
                P{p}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-rig`} className={label}>
            Rig
          </label>
          <select id={`${id}-rig`} value={chosenRig} onChange={(e) => setRig(e.target.value)} className={`${INPUT} w-full`}>
            {rigs.length === 0 && <option value="">(routed by paths)</option>}
            {rigs.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-area`} className={label}>
            Touches
          </label>
          <select id={`${id}-area`} value={area} onChange={(e) => setArea(e.target.value)} className={`${INPUT} w-full`}>
            {AREAS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
      </div>
      <label className="flex items-center gap-1.5 text-sm">
        <input type="checkbox" checked={hold} onChange={(e) => setHold(e.target.checked)} className="h-4 w-4 accent-sky-600" />
        Hold (dispatch or stagger it from its page)
      </label>
      <div className="flex items-center gap-3">
        <button type="submit" disabled={pending} className={BUTTON}>
          {pending ? 'Creating…' : 'Create convoy'}
        </button>
      </div>
      <p
        role="status"
        aria-live="polite"
        className="min-h-5 text-sm text-rose-700 dark:text-rose-400"
        data-testid="new-convoy-result"
      >
        {error}
      </p>
    </form>
  );
}
