/**
 * Path partitions of a repository: what a rig's scope owns, whether a proposed set of
 * partitions is well formed (no traversal, no overlap, none empty), and a suggested
 * partitioning from the files a rig's work has touched. Pure functions; split.ts uses
 * them on the files git reports.
 *
 * A scope is `scope` minus `scopeExclude`, both glob lists (see paths.ts); an empty
 * `scope` means the whole repository. A split's remainder partition gets its parent's
 * scope minus every sibling's globs, so together the partitions cover the parent and
 * no file has two owners.
 */
import picomatch from 'picomatch';
import { invalid } from './errors';
import type { PartitionSpec, SuggestedSplit } from '../../contracts/split';
import { matchesAny } from './paths';

export interface Scope {
  scope: readonly string[];
  scopeExclude: readonly string[];
}

/** Whether a scope owns a repository path. */
export function owns(scope: Scope, path: string): boolean {
  return (scope.scope.length === 0 || matchesAny(path, scope.scope)) && !matchesAny(path, scope.scopeExclude);
}

/** A scope with no restriction: the whole repository. */
export function isWholeRepository(scope: Scope): boolean {
  return scope.scope.length === 0 && scope.scopeExclude.length === 0;
}

const MAX_GLOB_LENGTH = 200;

/**
 * Why a glob cannot be a partition's scope, or null when it can. Globs are relative to
 * the repository root and may not climb out of it: scopes route work and decide which
 * Refinery merges a change, so a glob that names `../` or an absolute path is refused
 * rather than normalised.
 */
export function globProblem(glob: string): string | null {
  if (glob.trim() !== glob || glob.length === 0) return 'is empty or has surrounding spaces';
  if (glob.length > MAX_GLOB_LENGTH) return `is longer than ${MAX_GLOB_LENGTH} characters`;
  if (glob.includes('\0') || /[\r\n]/.test(glob)) return 'contains a control character';
  if (glob.includes('\\')) return 'contains a backslash (use / between folders)';
  if (glob.startsWith('/') || /^[a-zA-Z]:/.test(glob)) return 'is absolute (globs are relative to the repository root)';
  if (glob.split('/').some((segment) => segment === '..' || segment === '.')) return "contains a '.' or '..' segment";
  if (glob.startsWith('.git/') || glob === '.git') return "names git's own directory";
  try {
    picomatch.makeRe(glob);
  } catch {
    return 'is not a valid glob';
  }
  return null;
}

/**
 * Checks partitions against the files of the rig being split: every glob well formed,
 * names unique, no file owned by two partitions, no partition without a file, no glob
 * reaching files outside the parent. Returns each file's owner (undefined: the remainder).
 */
export function assignFiles(
  parent: Scope,
  partitions: PartitionSpec[],
  repositoryFiles: string[],
): Map<string, string | undefined> {
  const names = new Set<string>();
  for (const p of partitions) {
    if (names.has(p.name)) throw invalid(`two partitions are named '${p.name}'`);
    names.add(p.name);
    if (p.globs.length === 0) throw invalid(`partition '${p.name}' has no globs: it would own nothing`);
    for (const glob of p.globs) {
      const problem = globProblem(glob);
      if (problem) throw invalid(`partition '${p.name}': glob ${JSON.stringify(glob)} ${problem}`);
    }
    const duplicate = p.globs.find((g, i) => p.globs.indexOf(g) !== i);
    if (duplicate) throw invalid(`partition '${p.name}' lists ${JSON.stringify(duplicate)} twice`);
  }
  const owner = new Map<string, string | undefined>();
  const counts = new Map(partitions.map((p) => [p.name, 0]));
  for (const file of repositoryFiles) {
    const matching = partitions.filter((p) => matchesAny(file, p.globs));
    if (!owns(parent, file)) {
      if (matching.length > 0) {
        throw invalid(
          `partition '${matching[0].name}' reaches outside the rig: it matches '${file}', which the rig does not own`,
        );
      }
      continue;
    }
    if (matching.length > 1) {
      throw invalid(`partitions '${matching[0].name}' and '${matching[1].name}' overlap: both match '${file}'`);
    }
    owner.set(file, matching[0]?.name);
    if (matching[0]) counts.set(matching[0].name, counts.get(matching[0].name)! + 1);
  }
  for (const [name, count] of counts) {
    if (count === 0) throw invalid(`partition '${name}' matches no file of the rig: it would be empty`);
  }
  return owner;
}

/**
 * Expands a bead's paths (prefixes or globs) to the files they name; a path naming no
 * file yet (new work) stands for itself.
 */
export function expandPaths(paths: readonly string[], files: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const hits = files.filter((f) => matchesAny(f, [p]));
    if (hits.length > 0) for (const f of hits) out.add(f);
    else out.add(p.endsWith('/') ? `${p}*` : p);
  }
  return [...out];
}

/**
 * Suggests partitions from history: groups files by top-level directory, weights each
 * group by how many change sets (landed merges, conflicts, open beads) touched it, joins
 * groups that are mostly changed together (so work rarely crosses partitions), and keeps
 * the heaviest `max` groups; what is left falls to the remainder. Without history the
 * weight is the number of files.
 */
export function suggestPartitions(rig: string, files: string[], touches: string[][], max = 3): SuggestedSplit {
  const top = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : null);
  const dirs = [...new Set(files.map(top).filter((d): d is string => d !== null && !d.startsWith('.')))].sort();
  const sets = touches.map((t) => new Set(t.map(top).filter((d): d is string => d !== null && dirs.includes(d))));
  const useHistory = sets.some((s) => s.size > 0);
  const weight = new Map(
    dirs.map((d) => [d, useHistory ? sets.filter((s) => s.has(d)).length : files.filter((f) => top(f) === d).length]),
  );
  // Union directories that are changed together in more than half of the changes to either.
  const parent = new Map(dirs.map((d) => [d, d]));
  const find = (d: string): string => (parent.get(d) === d ? d : find(parent.get(d)!));
  if (useHistory) {
    for (const a of dirs) {
      for (const b of dirs) {
        if (a >= b) continue;
        const together = sets.filter((s) => s.has(a) && s.has(b)).length;
        const smaller = Math.min(weight.get(a)!, weight.get(b)!);
        if (smaller > 0 && together / smaller > 0.5) parent.set(find(b), find(a));
      }
    }
  }
  const groups = new Map<string, string[]>();
  for (const d of dirs) groups.set(find(d), [...(groups.get(find(d)) ?? []), d]);
  const total = [...weight.values()].reduce((a, b) => a + b, 0);
  const ranked = [...groups.values()]
    .map((members) => ({ members, weight: members.reduce((sum, d) => sum + weight.get(d)!, 0) }))
    .filter((g) => g.weight > 0 && g.weight >= total * 0.1)
    .sort((a, b) => b.weight - a.weight || a.members[0].localeCompare(b.members[0]))
    .slice(0, Math.max(1, max));
  const partitions = ranked.map((g) => ({
    name: partitionName(rig, g.members.join('-')),
    globs: g.members.map((d) => `${d}/**`),
  }));
  const ownerOf = (dir: string) => partitions.findIndex((p) => p.globs.includes(`${dir}/**`));
  const spanning = sets.filter((s) => new Set([...s].map(ownerOf)).size > 1).length;
  return { partitions, crossingShare: sets.length > 0 ? spanning / sets.length : 0, sample: touches.length };
}

/** `<rig>-<suffix>`, cut to a valid rig name (40 characters of a-z, 0-9 and '-'). */
export function partitionName(rig: string, suffix: string): string {
  const clean = suffix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${rig}-${clean || 'part'}`.slice(0, 40).replace(/-+$/, '');
}
