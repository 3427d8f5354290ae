/**
 * Generated histories with known overlap, for the history lab's tests and bench: a real
 * repository written with `git fast-import` (thousands of commits in a second), one
 * branch `main`, each commit a change whose shape the caller picks.
 *
 * - `disjoint`: every change writes a file of its own (areas a0..a3): nothing overlaps.
 * - `one-line`: every change rewrites line 1 of one file: every change overlaps the last.
 * - `mixed`: areas of files of lines; each change edits a few lines of one or two files,
 *   hot files more often (a Zipf-like law), so overlap grows with the window.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pickSkewed, seededRandom } from '../../server/engine/random';

export type HistoryShape = 'disjoint' | 'one-line' | 'mixed';

export interface GeneratedHistory {
  repo: string;
  remove(): void;
}

const LINES = 40;

export function generateHistory(shape: HistoryShape, commits: number, seed = 1): GeneratedHistory {
  const repo = mkdtempSync(path.join(os.tmpdir(), `gt-hist-${shape}-`));
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  const random = seededRandom(seed);
  const files = new Map<string, string[]>();
  const areas = ['core', 'ui', 'api', 'docs', 'tests', 'infra'];
  const chunks: string[] = [];
  const time = 1_700_000_000;
  const write = (file: string, lines: string[]) => {
    files.set(file, lines);
    const body = lines.join('\n') + '\n';
    chunks.push(`M 100644 inline ${file}\ndata ${Buffer.byteLength(body)}\n${body}\n`);
  };
  for (let i = 0; i < commits; i++) {
    const message = `change ${i}`;
    chunks.push(`commit refs/heads/main\nmark :${i + 1}\ncommitter Gen <gen@localhost> ${time + i * 60} +0000\n`);
    chunks.push(`data ${Buffer.byteLength(message)}\n${message}\n`);
    if (i > 0) chunks.push(`from :${i}\n`);
    if (i === 0 && shape !== 'disjoint') {
      // The first commit lays the files out; later ones edit them.
      if (shape === 'one-line') write('core/hot.ts', ['value 0', ...Array.from({ length: LINES }, (_, l) => `line ${l}`)]);
      else
        for (const area of areas)
          for (let f = 0; f < 20; f++)
            write(
              `${area}/m${f}.ts`,
              Array.from({ length: LINES }, (_, l) => `${area} ${f} ${l}`),
            );
      continue;
    }
    if (shape === 'disjoint') write(`a${i % 4}/f${i}.txt`, [`change ${i}`]);
    else if (shape === 'one-line') {
      const lines = [...files.get('core/hot.ts')!];
      lines[0] = `value ${i}`;
      write('core/hot.ts', lines);
    } else {
      const touched = 1 + pickSkewed(random, 2);
      for (let t = 0; t < touched; t++) {
        const area = areas[pickSkewed(random, areas.length)];
        const file = `${area}/m${pickSkewed(random, 20, 1.1)}.ts`;
        const lines = [...files.get(file)!];
        const at = Math.floor(random.next() * LINES);
        lines[at] = `${lines[at]} edit ${i}`;
        write(file, lines);
      }
    }
  }
  const result = spawnSync('git', ['fast-import', '--quiet'], { cwd: repo, input: chunks.join(''), maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`fast-import failed: ${result.stderr}`);
  return { repo, remove: () => rmSync(repo, { recursive: true, force: true }) };
}
