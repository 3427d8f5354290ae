/**
 * Which paths change together, and how a split would cut the replay's conflicts.
 *
 * Areas are top-level directories. Candidates come from the split suggestion
 * (`gt rig split --suggest`) and from clustering areas by co-change (average linkage on
 * the share of changes touching both) into 2, 3 and 4 parts; files in no part go to the
 * remainder, as a split's do. A split helps because each part's Refinery sees only its
 * own polecats' changes: with the rig's N polecats divided among the parts, each part's
 * window is shorter. Changes spanning parts keep the unsplit rate (they need a rig that
 * owns them all), so a partition that cuts through what changes together gains little.
 */
import type { PartitionSpec } from '../../../contracts/split';
import type { PartitionPart, RankedPartition } from '../../../contracts/lab-history';
import { matchesAny } from '../../engine/paths';
import { partitionName } from '../../engine/partitions';
import type { HistoryChange } from './log';
import type { WindowReplay } from './replay';

const MAX_AREAS = 12;
const PAIRS_SHOWN = 10;

const top = (file: string): string | null => (file.includes('/') ? file.slice(0, file.indexOf('/')) : null);

function areasOf(change: HistoryChange): Set<string> {
  return new Set(change.files.map(top).filter((d): d is string => d !== null && !d.startsWith('.')));
}

/** Top-level directory pairs ranked by the changes that touched both. */
export function coChangePairs(history: readonly HistoryChange[]): Array<{ a: string; b: string; together: number }> {
  const counts = new Map<string, number>();
  for (const change of history) {
    const areas = [...areasOf(change)].sort();
    for (let i = 0; i < areas.length; i++)
      for (let j = i + 1; j < areas.length; j++) {
        const key = `${areas[i]}\0${areas[j]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
  }
  return [...counts]
    .map(([key, together]) => {
      const [a, b] = key.split('\0');
      return { a, b, together };
    })
    .sort((x, y) => y.together - x.together || x.a.localeCompare(y.a) || x.b.localeCompare(y.b))
    .slice(0, PAIRS_SHOWN);
}

/** Areas clustered by co-change into 2..4 parts (as many as the areas allow). */
export function coChangeCandidates(rig: string, history: readonly HistoryChange[]): PartitionSpec[][] {
  const sets = history.map(areasOf);
  const weight = new Map<string, number>();
  for (const s of sets) for (const a of s) weight.set(a, (weight.get(a) ?? 0) + 1);
  const areas = [...weight]
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .slice(0, MAX_AREAS)
    .map(([a]) => a);
  let clusters = areas.map((a) => [a]);
  const touching = (cluster: string[]) => sets.filter((s) => cluster.some((a) => s.has(a))).length;
  const together = (x: string[], y: string[]) => sets.filter((s) => x.some((a) => s.has(a)) && y.some((a) => s.has(a))).length;
  const candidates: PartitionSpec[][] = [];
  while (clusters.length >= 2) {
    if (clusters.length <= 4) {
      candidates.push(
        [...clusters]
          .sort((x, y) => touching(y) - touching(x) || x[0].localeCompare(y[0]))
          .map((members) => ({ name: partitionName(rig, members.join('-')), globs: members.map((a) => `${a}/**`) })),
      );
    }
    let best: [number, number, number] = [0, 1, -1];
    for (let i = 0; i < clusters.length; i++)
      for (let j = i + 1; j < clusters.length; j++) {
        const both = together(clusters[i], clusters[j]);
        const either = touching([...clusters[i], ...clusters[j]]);
        const share = either > 0 ? both / either : 0;
        // Ties join the lightest pair, so parts stay balanced.
        if (
          share > best[2] ||
          (share === best[2] &&
            touching(clusters[i]) + touching(clusters[j]) < touching(clusters[best[0]]) + touching(clusters[best[1]]))
        )
          best = [i, j, share];
      }
    const [i, j] = best;
    clusters = [...clusters.filter((_, k) => k !== i && k !== j), [...clusters[i], ...clusters[j]].sort()];
  }
  return candidates.reverse(); // 2 parts first
}

/**
 * Judges each candidate at `atN` polecats: each part gets its share of them, and its rate
 * is the conflict share among that many consecutive changes of the part within a replayed
 * window (a change of one part touches none of another's files, so its outcome in the
 * whole window is its outcome among its part's changes). Best (lowest rate) first.
 */
export function rankPartitions(
  candidates: ReadonlyArray<{ source: RankedPartition['source']; partitions: PartitionSpec[] }>,
  history: readonly HistoryChange[],
  replays: readonly WindowReplay[],
  atN: number,
  unsplitRate: number,
  rig: string,
): RankedPartition[] {
  const windows = replays.filter((r) => !r.missing || r.changes.length > 0).map((r) => r.changes);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const ranked = candidates.map(({ source, partitions }) => {
    const specs = [...partitions, { name: partitionName(rig, 'rest'), globs: [] as string[] }];
    const rest = partitions.length;
    const ownerOfFile = (file: string) => {
      const i = partitions.findIndex((p) => matchesAny(file, p.globs));
      return i === -1 ? rest : i;
    };
    const owner = new Map<number, number>(); // history index -> part, or -1 when spanning
    const ownerOf = (index: number) => {
      if (!owner.has(index)) {
        const parts = new Set(history[index].files.map(ownerOfFile));
        owner.set(index, parts.size === 1 ? [...parts][0] : -1);
      }
      return owner.get(index)!;
    };
    // Per window, per part: the outcomes of its changes in order (1 conflicted, 0 landed).
    const sequences = windows.map((changes) => {
      const perPart = specs.map(() => [] as number[]);
      for (const c of changes) {
        const part = ownerOf(c.index);
        if (part !== -1) perPart[part].push(c.outcome === 'landed' ? 0 : 1);
      }
      return perPart;
    });
    let total = 0;
    let spanning = 0;
    const inPart = specs.map(() => 0);
    for (const changes of windows)
      for (const c of changes) {
        total++;
        const part = ownerOf(c.index);
        if (part === -1) spanning++;
        else inPart[part]++;
      }
    const parts: PartitionPart[] = specs.map((spec, p) => {
      const share = total ? inPart[p] / total : 0;
      const polecats = Math.max(1, Math.round(atN * share));
      const rates = sequences
        .filter((s) => s[p].length >= polecats)
        .map((s) => s[p].slice(0, polecats).reduce((a, b) => a + b, 0) / polecats);
      return {
        name: spec.name,
        globs: spec.globs,
        share: round(share),
        polecats,
        rate: rates.length ? round(rates.reduce((a, b) => a + b, 0) / rates.length) : null,
        windows: rates.length,
      };
    });
    const spanningShare = total ? spanning / total : 0;
    // A part too rare to fill its polecats' window in any replay counts at the unsplit rate.
    const rate = parts.reduce((sum, p) => sum + p.share * (p.rate ?? unsplitRate), 0) + spanningShare * unsplitRate;
    return {
      source,
      partitions,
      parts: parts.filter((p) => p.globs.length > 0 || p.share > 0),
      rate: round(rate),
      spanningShare: round(spanningShare),
    };
  });
  return ranked.sort((a, b) => a.rate - b.rate || a.spanningShare - b.spanningShare || a.partitions.length - b.partitions.length);
}
