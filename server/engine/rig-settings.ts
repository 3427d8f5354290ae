/** A rig's defaults and limits: the settings a new or loaded rig starts from, and its name rule. */
import { conflict, invalid } from './errors';
import type { RigCounters, RigSettings } from '../../contracts/records';

export const DEFAULT_RIG_SETTINGS: RigSettings = {
  refineryWorkers: 1,
  mergeMode: 'speculative',
  batchSize: 4,
  checks: [],
  setup: null,
  maxAttempts: 4,
  // 10 minutes of waiting is worth one priority level (see effectivePriority).
  agingStepMs: 10 * 60_000,
  fetchIntervalMs: 60_000,
  pushBranches: false,
  agentWorkMs: 12_000,
  agentFailureRate: 0,
  witnessIntervalMs: null,
  heartbeatTimeoutMs: 3 * 60_000,
  progressTimeoutMs: 10 * 60_000,
  tier: 'auto',
  scope: [],
  scopeExclude: [],
  provider: 'anthropic',
  agent: { kind: 'scripted' },
  maxConcurrency: null,
  // A real agent on one bead: long enough for a large change, short enough to free a hung slot.
  agentTimeoutMs: 60 * 60_000,
  // Rigs stored before upstreams existed, and the demo's, land in their own repository.
  landing: 'local',
  upstreamUrl: null,
};

export const ZERO_COUNTERS: RigCounters = { merged: 0, conflicts: 0, rejected: 0, reworkedMerged: 0 };

/** Upper bound on Refinery workers per rig (the seed's "multiple Refinery instances"). */
export { MAX_REFINERY_WORKERS } from '../../contracts/records';

const RIG_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Refuses a name a new rig cannot take: malformed, or taken (retired rigs keep theirs). */
export function checkNewRigName(name: string, taken: (name: string) => boolean): void {
  if (!RIG_NAME.test(name)) throw invalid(`rig name '${name}' must match ${RIG_NAME}`);
  if (taken(name)) throw conflict(`rig '${name}' already exists`);
}
