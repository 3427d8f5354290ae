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
