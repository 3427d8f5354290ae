/**
 * Path scopes: a bead's `paths` and (later) a rig's partition scope are lists of
 * directory prefixes (`core/`) or globs (`ui/**\/*.tsx`). A directory prefix means
 * everything under it.
 */
import picomatch from 'picomatch';

const cache = new Map<string, (path: string) => boolean>();

function matcher(pattern: string): (path: string) => boolean {
  let m = cache.get(pattern);
  if (!m) {
    const glob = pattern.endsWith('/') ? `${pattern}**` : pattern;
    m = picomatch(glob, { dot: true });
    cache.set(pattern, m);
  }
  return m;
}

export function matchesAny(path: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matcher(p)(path));
}
