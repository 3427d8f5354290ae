'use client';
/**
 * The what-if's parameters: the levers the seed talks about (polecats, rigs, split,
 * Refinery workers, convoy wave size, Deacon mode and tiers) and the model's shape (work
 * and check time, failure rate), plus the virtual hours and the random seed. The server
 * validates; its message is shown as it is.
 */
import type { ReactNode } from 'react';
import type { LabParams } from '@/contracts/lab';
import { INPUT } from './ConvoyParts';

export type FormParams = Pick<
  LabParams,
  | 'seed'
  | 'hours'
  | 'rigs'
  | 'polecatsPerRig'
  | 'split'
  | 'workers'
  | 'deaconMode'
  | 'tiers'
  | 'convoy'
  | 'workMinutes'
  | 'checkMinutes'
  | 'failureRate'
  | 'stallRate'
> & { activeRigs?: number; modulesPerArea?: number };

export const DEFAULT_FORM: FormParams = {
  seed: 1,
  hours: 8,
  rigs: 1,
  polecatsPerRig: 15,
  split: 1,
  workers: 1,
  deaconMode: 'tiered',
  tiers: { hot: 30, warm: 120, cold: 600 },
  convoy: null,
  workMinutes: 30,
  checkMinutes: 1,
  failureRate: 0.03,
  stallRate: 0.01,
};

function Field({ label, hint, wide, children }: { label: string; hint?: string; wide?: boolean; children: ReactNode }) {
  return (
    <label
      className={`flex flex-col gap-1 text-xs uppercase tracking-wide text-slate-500 ${wide ? 'sm:col-span-2' : ''}`}
      title={hint}
    >
      {label}
      {children}
    </label>
  );
}

function NumberInput({
  value,
  onChange,
  testId,
  step = 1,
  placeholder,
}: {
  value: number | null | undefined;
  onChange: (v: number | null) => void;
  testId: string;
  step?: number;
  placeholder?: string;
}) {
  return (
    <input
      type="number"
      step={step}
      value={value ?? ''}
      placeholder={placeholder}
      onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
      className={`${INPUT} w-28`}
      data-testid={testId}
    />
  );
}

export function LabForm({ value, onChange }: { value: FormParams; onChange: (next: FormParams) => void }) {
  const set = (patch: Partial<FormParams>) => onChange({ ...value, ...patch });
  // A cleared field is sent as NaN, so the server names it instead of silently using a default.
  const n = (v: number | null) => v ?? Number.NaN;
  return (
    <div className="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-6" data-testid="lab-form">
      <Field label="Polecats per rig">
        <NumberInput value={value.polecatsPerRig} onChange={(v) => set({ polecatsPerRig: n(v) })} testId="lab-polecats" />
      </Field>
      <Field label="Rigs">
        <NumberInput value={value.rigs} onChange={(v) => set({ rigs: n(v) })} testId="lab-rigs" />
      </Field>
      <Field label="Active rigs" hint="Rigs that get work; the rest sit idle">
        <NumberInput
          value={value.activeRigs}
          onChange={(v) => set({ activeRigs: v ?? undefined })}
          testId="lab-active-rigs"
          placeholder="all"
        />
      </Field>
      <Field label="Split each rig into" hint="Rigs with disjoint path scopes sharing one target branch">
        <NumberInput value={value.split} onChange={(v) => set({ split: n(v) })} testId="lab-split" />
      </Field>
      <Field label="Refinery workers">
        <NumberInput value={value.workers} onChange={(v) => set({ workers: n(v) })} testId="lab-workers" />
      </Field>
      <Field label="Virtual hours">
        <NumberInput value={value.hours} onChange={(v) => set({ hours: n(v) })} testId="lab-hours" step={0.5} />
      </Field>
      <Field label="Convoy beads" hint="Empty: a steady backlog instead of one convoy">
        <NumberInput
          value={value.convoy?.beads}
          onChange={(v) => set({ convoy: v === null ? null : { beads: v, waveSize: value.convoy?.waveSize ?? null } })}
          testId="lab-convoy-beads"
          placeholder="backlog"
        />
      </Field>
      <Field label="Wave size" hint="Empty: the convoy goes all at once">
        <NumberInput
          value={value.convoy?.waveSize}
          onChange={(v) => set({ convoy: value.convoy ? { ...value.convoy, waveSize: v } : null })}
          testId="lab-wave-size"
          placeholder="all at once"
        />
      </Field>
      <Field label="Deacon">
        <select
          value={value.deaconMode}
          onChange={(e) => set({ deaconMode: e.target.value as FormParams['deaconMode'] })}
          className={INPUT}
          data-testid="lab-deacon-mode"
        >
          <option value="tiered">tiered</option>
          <option value="sequential">sequential</option>
        </select>
      </Field>
      <Field label="Hot / warm / cold tiers (s)" wide>
        <span className="flex gap-1">
          {(['hot', 'warm', 'cold'] as const).map((tier) => (
            <input
              key={tier}
              type="number"
              aria-label={`${tier} tier seconds`}
              value={value.tiers[tier]}
              onChange={(e) => set({ tiers: { ...value.tiers, [tier]: Number(e.target.value) } })}
              className={`${INPUT} w-20`}
              data-testid={`lab-tier-${tier}`}
            />
          ))}
        </span>
      </Field>
      <Field label="Work (min)">
        <NumberInput value={value.workMinutes} onChange={(v) => set({ workMinutes: n(v) })} testId="lab-work" step={1} />
      </Field>
      <Field label="Checks (min)">
        <NumberInput value={value.checkMinutes} onChange={(v) => set({ checkMinutes: n(v) })} testId="lab-checks" step={0.5} />
      </Field>
      <Field label="Check failure rate">
        <NumberInput value={value.failureRate} onChange={(v) => set({ failureRate: n(v) })} testId="lab-failure" step={0.01} />
      </Field>
      <Field label="Seed">
        <NumberInput value={value.seed} onChange={(v) => set({ seed: n(v) })} testId="lab-seed" />
      </Field>
    </div>
  );
}
