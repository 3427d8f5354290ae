/**
 * Convoys as the pages and the CLI show them: beads with their status, progress, and the
 * wave plan with each wave's state, timings and rework, plus the Mermaid diagram.
 */
import type { Bead, Convoy } from './records';

export interface WaveView {
  index: number;
  state: 'held' | 'ready' | 'dispatched' | 'landed';
  beads: number;
  done: number;
  dispatchedAt: number | null;
  landedAt: number | null;
  merged: number;
  conflicts: number;
  rejections: number;
  /** Conflicted attempts / all merge attempts of the wave; null with none yet. */
  conflictRate: number | null;
}

export interface ConvoyView {
  id: string;
  title: string;
  status: Convoy['status'];
  dispatched: boolean;
  waveSize: number | null;
  createdAt: number;
  closedAt: number | null;
  progress: { done: number; total: number };
  beads: Array<Pick<Bead, 'id' | 'title' | 'status' | 'rig' | 'assignee' | 'priority'> & { wave: number | null }>;
  waves: WaveView[];
  /** Over all waves: how much rework the plan cost. */
  totals: { merged: number; conflicts: number; rejections: number; conflictRate: number | null };
  suggestedWaveSize: number | null;
  diagram: string;
}

export interface ConvoySummary {
  id: string;
  title: string;
  status: Convoy['status'];
  waveSize: number | null;
  waves: number;
  progress: { done: number; total: number };
  createdAt: number;
}

/**
 * A wave plan as people read it: "all at once", "1 wave of up to 4", "5 waves of up to 6"
 * (not "5 of 6", which reads as the fifth wave of six).
 */
export function describeWavePlan(waves: number, waveSize: number | null): string {
  if (waveSize === null) return 'all at once';
  return `${waves} wave${waves === 1 ? '' : 's'} of up to ${waveSize}`;
}
