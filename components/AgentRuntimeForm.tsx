'use client';
/**
 * Chooses a rig's agent: the scripted one, a preset CLI (with an optional model), or a
 * custom command entered one argument per line (an argument array, never a shell line).
 * The server validates; its message is shown as it is and nothing changes on a refusal.
 */
import { useState, type FormEvent } from 'react';
import { AGENT_PRESETS, type AgentSpec } from '@/contracts/records';
import type { RigView } from '@/contracts/town';
import { callCommand } from '@/lib/commands';
import { formatDuration } from '@/lib/format';
import { useCanAct } from '@/lib/session';

const FIELD =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';

function initialCommand(spec: AgentSpec): string {
  return spec.kind === 'command' ? spec.command.join('\n') : '';
}

export function AgentRuntimeForm({ rig }: { rig: RigView }) {
  const canAct = useCanAct();
  const { spec } = rig.agent;
  const [kind, setKind] = useState<AgentSpec['kind']>(spec.kind);
  const [preset, setPreset] = useState(spec.kind === 'preset' ? spec.preset : 'claude');
  const [model, setModel] = useState(spec.kind === 'preset' ? (spec.model ?? '') : '');
  const [command, setCommand] = useState(initialCommand(spec));
  const [concurrency, setConcurrency] = useState(rig.agent.maxConcurrency === null ? '' : String(rig.agent.maxConcurrency));
  const [timeoutMin, setTimeoutMin] = useState(String(rig.agent.timeoutMs / 60_000));
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, setPending] = useState(false);

  async function apply(event: FormEvent) {
    event.preventDefault();
    const agent =
      kind === 'scripted'
        ? { kind }
        : kind === 'preset'
          ? { kind, preset, ...(model.trim() ? { model: model.trim() } : {}) }
          : { kind, command: command.split('\n').filter((line) => line !== '') };
    setPending(true);
    const r = await callCommand('agent.configure', {
      rig: rig.name,
      agent,
      maxConcurrency: concurrency.trim() === '' ? null : Number(concurrency),
      timeoutMs: Math.round(Number(timeoutMin) * 60_000),
    });
    setPending(false);
    setResult({ ok: r.ok, text: r.ok ? 'Agent settings saved: the next session uses them' : r.message });
  }

  const summary = (
    <p>
      Runs <strong data-testid="agent-description">{rig.agent.description}</strong>
      {rig.agent.spec.kind !== 'scripted' && <> · timeout {formatDuration(rig.agent.timeoutMs)}</>}
      {' · '}
      {rig.agent.maxConcurrency === null ? 'one agent per polecat' : `at most ${rig.agent.maxConcurrency} at once`}
    </p>
  );
  if (!canAct) return <div className="text-sm">{summary}</div>;
  return (
    <form onSubmit={apply} className="space-y-2 text-sm" aria-label="Agent runtime" data-testid="agent-form">
      {summary}
      <div className="flex flex-wrap items-center gap-2">
        <select className={FIELD} value={kind} onChange={(e) => setKind(e.target.value as AgentSpec['kind'])} aria-label="Kind">
          <option value="scripted">scripted</option>
          <option value="preset">preset</option>
          <option value="command">command</option>
        </select>
        {kind === 'preset' && (
          <>
            <select
              className={FIELD}
              value={preset}
              onChange={(e) => setPreset(e.target.value as typeof preset)}
              aria-label="Preset"
            >
              {AGENT_PRESETS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            <input
              className={`${FIELD} w-40`}
              placeholder="model (optional)"
              value={model}
              onChange={(e) => setModel(e.target.value)}
            />
          </>
        )}
        <input
          className={`${FIELD} w-24`}
          placeholder="max at once"
          inputMode="numeric"
          value={concurrency}
          onChange={(e) => setConcurrency(e.target.value)}
          aria-label="Max concurrency"
        />
        <label className="flex items-center gap-1 text-slate-500">
          timeout
          <input
            className={`${FIELD} w-16`}
            inputMode="decimal"
            value={timeoutMin}
            onChange={(e) => setTimeoutMin(e.target.value)}
            aria-label="Timeout in minutes"
          />
          min
        </label>
      </div>
      {kind === 'command' && (
        <textarea
          className={`${FIELD} h-20 w-full font-mono text-xs`}
          placeholder={'one argument per line, e.g.\nscripts/agent.sh\n--bead\n{beadId}'}
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          aria-label="Command, one argument per line"
        />
      )}
      <button
        type="submit"
        disabled={pending}
        className="rounded bg-sky-700 px-3 py-1 font-medium text-white hover:bg-sky-600 disabled:opacity-50"
      >
        {pending ? 'Saving…' : 'Save'}
      </button>
      {result && (
        <p
          role="status"
          className={`text-xs ${result.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}`}
          data-testid="agent-result"
        >
          {result.text}
        </p>
      )}
    </form>
  );
}
