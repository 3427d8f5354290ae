/**
 * The modelled repository a simulated rig works on: files with numbered regions, laid
 * out in areas (`core/`, `ui/`, `tests/`, ...) like the demo repository, each area with
 * its shared hotspot files (registry, index, fixtures) and leaf modules. The agents pick
 * what to edit with the scripted agent's own hotspot law (server/agents/edit-plan.ts), so
 * conflicts arise where the real demo town's do: two polecats editing one region.
 */
import type { RepoShape } from '../../contracts/lab';

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
