/**
 * What the scripted agent edits for a bead: a few region files within the bead's paths,
 * chosen with a hotspot law (shared registries, index files and fixtures come up far
 * more often than leaf modules), and one or two regions in each, again skewed towards
 * the first regions. Deterministic per bead id, so a rework re-applies the same edits.
 */
import { matchesAny } from '../engine/paths';
import { hashSeed, pickInt, pickSkewed, seededRandom } from '../engine/random';

export interface RegionEdit {
  file: string;
  region: number;
}

/** Files that many features touch at once: the usual merge-conflict hotspots. */
const HOT_NAMES = /(^|\/)(registry|index|fixtures|shared|routes|config)\.[a-z]+$/;

/** Orders candidate files hotspot-first, then by path, so the skewed pick favours hot files. */
export function rankFiles(files: string[]): string[] {
  return [...files].sort((a, b) => Number(!HOT_NAMES.test(a)) - Number(!HOT_NAMES.test(b)) || a.localeCompare(b));
}

/**
 * @param files region files of the repository with their region counts
 * @param paths the bead's paths (prefixes or globs); empty means anywhere
 */
export function planEdits(beadId: string, paths: string[], files: Map<string, number>): RegionEdit[] {
  const all = [...files.keys()];
  const scoped = paths.length > 0 ? all.filter((f) => matchesAny(f, paths)) : all;
  const candidates = rankFiles(scoped.length > 0 ? scoped : all);
  if (candidates.length === 0) return [];
  const random = seededRandom(hashSeed(beadId));
  const fileCount = Math.min(candidates.length, 1 + (random.next() < 0.4 ? 1 : 0) + (random.next() < 0.15 ? 1 : 0));
  const edits: RegionEdit[] = [];
  const chosen = new Set<string>();
  while (chosen.size < fileCount) chosen.add(candidates[pickSkewed(random, candidates.length, 1.1)]);
  for (const file of chosen) {
    const regions = files.get(file) ?? 1;
    const count = pickInt(random, 1, Math.min(2, regions));
    const picked = new Set<number>();
    while (picked.size < count) picked.add(pickSkewed(random, regions, 0.9));
    for (const region of picked) edits.push({ file, region });
  }
  return edits;
}
