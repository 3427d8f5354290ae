/**
 * The modelled repository a simulated rig works on: files with numbered regions, laid
 * out in areas (`core/`, `ui/`, `tests/`, ...) like the demo repository, each area with
 * its shared hotspot files (registry, index, fixtures) and leaf modules. The agents pick
 * what to edit with the scripted agent's own hotspot law (server/agents/edit-plan.ts), so
 * conflicts arise where the real demo town's do: two polecats editing one region.
 */

export interface RepoShape {
  /** Top-level areas; a split gives each rig one or more of them as its scope. */
  areas: string[];
  /** Leaf modules per area (besides the hotspot files every area has). */
  modulesPerArea: number;
  /** Regions (independently editable blocks) per file. */
  regionsPerFile: number;
}

/** Stated limits: what a what-if may ask for (bigger runs belong to the bench). */
export const REPO_LIMITS = { areas: 12, modulesPerArea: 400, regionsPerFile: 64 } as const;

/**
 * Calibrated so that the seed's first table comes out of the engine: with 30-minute
 * beads, about 10% conflicts at 5 polecats on one rig (see docs/lab.md).
 */
export const DEFAULT_REPO_SHAPE: RepoShape = { areas: ['core', 'ui', 'tests'], modulesPerArea: 16, regionsPerFile: 12 };

/** The hotspot files every area has: what many features touch at once. */
const HOT_FILES = ['registry.ts', 'index.ts'];

/** Region files of the modelled repository with their region counts (edit-plan's input). */
export function repoFiles(shape: RepoShape): Map<string, number> {
  const files = new Map<string, number>();
  for (const area of shape.areas) {
    for (const hot of HOT_FILES) files.set(`${area}/${hot}`, shape.regionsPerFile);
    for (let i = 0; i < shape.modulesPerArea; i++)
      files.set(`${area}/module-${String(i).padStart(3, '0')}.ts`, shape.regionsPerFile);
  }
  return files;
}
