/**
 * Convoys as the pages and the CLI show them (contracts/convoys.ts), read from the town
 * (open convoys) and the store (finished ones and their beads).
 */
import type { ConvoySummary, ConvoyView, WaveView } from '../../contracts/convoys';
import type { Bead, Convoy, Wave } from '../../contracts/records';
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';
import { waveDiagram } from './diagrams';

function waveState(w: Wave, held: boolean, done: number): WaveView['state'] {
  if (done === w.beads.length && w.beads.length > 0) return 'landed';
  if (w.dispatchedAt !== null) return 'dispatched';
  return held ? 'held' : 'ready';
}

const rateOf = (merged: number, conflicts: number, rejections: number) => {
  const attempts = merged + conflicts + rejections;
  return attempts === 0 ? null : conflicts / attempts;
};

export async function convoyView(town: Town, store: TownStore, id: string): Promise<ConvoyView | null> {
  const convoy = town.convoys.find(id) ?? (await store.getConvoy(id));
  if (!convoy) return null;
  const live = new Map(town.beads.list().map((b) => [b.id, b]));
  const missing = convoy.beadIds.filter((b) => !live.has(b));
  const finished = new Map(
    (await Promise.all(missing.map((b) => store.getBead(b)))).filter((b): b is Bead => !!b).map((b) => [b.id, b]),
  );
  const beadOf = (b: string) => live.get(b) ?? finished.get(b);
  const isDone = (b: string) => {
    const s = beadOf(b)?.status;
    return s === 'done' || s === 'closed' || s === undefined;
  };
  const waves = convoy.waves.map((w): WaveView => {
    const done = w.beads.filter(isDone).length;
    const held = w.gateId !== null && town.gates.get(w.gateId) !== undefined;
    return {
      index: w.index,
      state: waveState(w, held, done),
      beads: w.beads.length,
      done,
      dispatchedAt: w.dispatchedAt,
      landedAt: w.landedAt,
      merged: w.merged,
      conflicts: w.conflicts,
      rejections: w.rejections,
      conflictRate: rateOf(w.merged, w.conflicts, w.rejections),
    };
  });
  const waveOf = new Map(convoy.waves.flatMap((w) => w.beads.map((b) => [b, w.index] as const)));
  const totals = waves.reduce(
    (t, w) => ({ merged: t.merged + w.merged, conflicts: t.conflicts + w.conflicts, rejections: t.rejections + w.rejections }),
    {
      merged: 0,
      conflicts: 0,
      rejections: 0,
    },
  );
  return {
    id: convoy.id,
    title: convoy.title,
    status: convoy.status,
    dispatched: convoy.dispatchedAt !== null,
    waveSize: convoy.waveSize,
    createdAt: convoy.createdAt,
    closedAt: convoy.closedAt,
    progress: { done: convoy.beadIds.filter(isDone).length, total: convoy.beadIds.length },
    beads: convoy.beadIds.map((b) => {
      const bead = beadOf(b);
      return {
        id: b,
        title: bead?.title ?? '(unknown)',
        status: bead?.status ?? 'done',
        rig: bead?.rig ?? '',
        assignee: bead?.assignee ?? null,
        priority: bead?.priority ?? 2,
        wave: waveOf.get(b) ?? null,
      };
    }),
    waves,
    totals: { ...totals, conflictRate: rateOf(totals.merged, totals.conflicts, totals.rejections) },
    suggestedWaveSize: convoy.status === 'open' ? town.convoys.suggestWaveSize(convoy.id) : null,
    diagram: waveDiagram(waves),
  };
}

/** Open convoys (live) and the most recent finished ones. */
export async function convoyList(town: Town, store: TownStore, limit = 50): Promise<ConvoySummary[]> {
  const open = town.convoys.list();
  const stored = await store.listConvoys({ limit });
  const byId = new Map<string, Convoy>(stored.map((c) => [c.id, c]));
  for (const c of open) byId.set(c.id, c);
  const live = new Set(town.beads.list().map((b) => b.id));
  const listed = [...byId.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  // An open convoy another node runs (a cluster): its beads' progress is the store's, not "not in play here".
  const elsewhere = listed.filter((c) => c.status === 'open' && !town.convoys.find(c.id)).flatMap((c) => c.beadIds);
  const finished = new Set(
    elsewhere.length === 0 ? [] : (await store.listBeads({ ids: elsewhere, status: ['done', 'closed'] })).map((b) => b.id),
  );
  const done = (c: Convoy) => {
    if (c.status !== 'open') return c.beadIds.length;
    if (!town.convoys.find(c.id)) return c.beadIds.filter((b) => finished.has(b)).length;
    return c.beadIds.filter((b) => !live.has(b)).length;
  };
  return listed.map((c) => ({
    id: c.id,
    title: c.title,
    status: c.status,
    waveSize: c.waveSize,
    waves: c.waves.length,
    progress: { done: done(c), total: c.beadIds.length },
    createdAt: c.createdAt,
  }));
}
