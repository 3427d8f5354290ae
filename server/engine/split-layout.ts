/**
 * The layout of a split, computed before any record changes: which partition owns which
 * file (explicit globs first, the remainder catches what is left inside the rig's scope),
 * where work spanning partitions goes, and how many polecats each partition gets. Pure
 * functions of the request and the repository's files; split.ts surveys git, plans with
 * these and applies the plan.
 */
import { invalid } from './errors';
import type { Rig } from '../../contracts/records';
import type { PartitionRole, PartitionSpec } from '../../contracts/split';
import { assignFiles, owns } from './partitions';
import { matchesAny } from './paths';

export interface SplitRequest {
  partitions: PartitionSpec[];
  /** Name for the partition that catches files no other matches (default `<rig>-rest`). */
  remainder?: string;
  /** Where work spanning partitions goes: a partition's name, or `stay` (the rig stays, as integration rig). */
  spanning?: string;
  /** Polecats per partition (and per the kept rig); default: in proportion to each one's work. */
  polecats?: Record<string, number>;
}

export const MAX_POLECATS_PER_PARTITION = 50;

/** The partitions a split makes, and how it routes work among them. */
export interface Layout {
  parts: Array<{ name: string; role: PartitionRole; scope: string[]; scopeExclude: string[]; globs: string[]; files: number }>;
  spanningTo: string;
  retire: boolean;
  /** Where a change touching these files goes, and whether it spans partitions. */
  route(files: string[]): { to: string; spanning: boolean };
}

/** Refuses a bad request (names, overlaps, a split that is not one) before anything changes. */
export function splitLayout(rig: Rig, request: SplitRequest, files: string[], checkNewRigName: (name: string) => void): Layout {
  if (request.partitions.length === 0) throw invalid('a split needs at least one partition');
  const fileOwner = assignFiles(rig.settings, request.partitions, files);
  const unowned = [...fileOwner.values()].filter((o) => o === undefined).length;
  const parts: Layout['parts'] = request.partitions.map((p) => ({
    name: p.name,
    role: 'partition',
    scope: p.globs,
    scopeExclude: [...rig.settings.scopeExclude],
    globs: p.globs,
    files: [...fileOwner.values()].filter((o) => o === p.name).length,
  }));
  const remainderName = request.remainder ?? `${rig.name}-rest`;
  if (unowned > 0) {
    parts.push({
      name: remainderName,
      role: 'remainder',
      scope: [...rig.settings.scope],
      scopeExclude: [...rig.settings.scopeExclude, ...request.partitions.flatMap((p) => p.globs)],
      globs: [],
      files: unowned,
    });
  } else if (request.remainder !== undefined) {
    throw invalid(
      `the partitions cover every file of '${rig.name}': there is nothing left for a remainder '${request.remainder}'`,
    );
  }
  if (parts.length < 2 && request.spanning !== 'stay') {
    throw invalid(
      `one partition covering all of '${rig.name}' is not a split; name at least two, or leave files to the remainder`,
    );
  }
  const names = new Set<string>();
  for (const p of parts) {
    if (names.has(p.name)) throw invalid(`two partitions are named '${p.name}'`);
    names.add(p.name);
    if (p.name === rig.name) throw invalid(`a partition cannot take the rig's own name '${rig.name}'`);
    checkNewRigName(p.name);
  }
  const retire = request.spanning !== 'stay';
  const spanningTo = !retire ? rig.name : (request.spanning ?? parts.find((p) => p.role === 'remainder')?.name ?? parts[0].name);
  if (!names.has(spanningTo) && spanningTo !== rig.name) {
    throw invalid(`spanning work can go to one of the partitions (${[...names].join(', ')}) or 'stay', not '${spanningTo}'`);
  }
  if (!retire)
    parts.push({
      name: rig.name,
      role: 'integration',
      scope: [...rig.settings.scope],
      scopeExclude: [...rig.settings.scopeExclude],
      globs: [],
      files: 0,
    });
  const explicit = parts.filter((p) => p.role === 'partition');
  const remainder = parts.find((p) => p.role === 'remainder');
  const ownerOf = (file: string): string | undefined => {
    const hit = explicit.find((p) => matchesAny(file, p.globs));
    if (hit) return hit.name;
    return remainder && owns(rig.settings, file) ? remainder.name : undefined;
  };
  const route = (touched: string[]) => {
    const owners = new Set(touched.map(ownerOf));
    if (owners.size === 1 && !owners.has(undefined)) return { to: [...owners][0]!, spanning: false };
    return { to: spanningTo, spanning: true };
  };
  return { parts, spanningTo, retire, route };
}

/**
 * Polecats per partition: the counts asked for, else largest-remainder shares of the
 * rig's polecats by work (at least one each); never fewer than are busy with its work.
 */
export function polecatCounts(
  layout: Layout,
  request: SplitRequest,
  total: number,
  work: Map<string, number>,
  busy: Map<string, number>,
  warnings: string[],
): Map<string, number> {
  const names = layout.parts.map((p) => p.name);
  for (const name of Object.keys(request.polecats ?? {})) {
    if (!names.includes(name)) throw invalid(`polecat count for '${name}', which is not a partition of this split`);
  }
  const counts = new Map<string, number>();
  const asked = request.polecats ?? {};
  // Largest-remainder shares of the rig's polecats, by work; at least one each.
  const weights = names.map((n) => work.get(n) ?? 0);
  const sum = weights.reduce((a, b) => a + b, 0);
  const share = names.map((_, i) => (sum > 0 ? (total * weights[i]) / sum : total / names.length));
  const base = share.map(Math.floor);
  let left = total - base.reduce((a, b) => a + b, 0);
  for (const i of share
    .map((s, i) => [s - Math.floor(s), i])
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => i)) {
    if (left-- <= 0) break;
    base[i]++;
  }
  names.forEach((name, i) => {
    const wanted = asked[name] ?? Math.max(1, base[i]);
    if (!Number.isInteger(wanted) || wanted < 0 || wanted > MAX_POLECATS_PER_PARTITION) {
      throw invalid(`polecats for '${name}' must be a whole number from 0 to ${MAX_POLECATS_PER_PARTITION}`);
    }
    const needed = busy.get(name) ?? 0;
    if (wanted < needed) warnings.push(`'${name}' gets ${needed} polecats, not ${wanted}: ${needed} are busy with its work`);
    counts.set(name, Math.max(wanted, needed));
  });
  return counts;
}
