/**
 * Reads a state machine's transition table from the doc comment at the top of its module,
 * so a test can check the code against what the comment promises, pair by pair. The
 * comment's grammar (see engine/polecat.ts, engine/merge-request.ts):
 *
 *   state   | ev1 | ev2, ev3 | ...      a header: the events of each column
 *   from    | to  |          | ...      a row: an empty cell is an illegal move
 *   a, b: final                          states with no move at all
 *   ev: from1 | from2 -> to              an event outside the table
 */
import { readFileSync } from 'node:fs';

/** `table.get(state).get(event)`: the target state, or undefined where the move is illegal. */
export type TransitionTable = Map<string, Map<string, string | undefined>>;

export function readTransitionTable(modulePath: string): { table: TransitionTable; events: Set<string> } {
  const source = readFileSync(modulePath, 'utf8');
  const comment = source.slice(source.indexOf('/**'), source.indexOf('*/'));
  const lines = comment.split('\n').map((l) => l.replace(/^\s*\/?\*+\s?/, '').trim());
  const table: TransitionTable = new Map();
  const events = new Set<string>();
  let columns: string[][] | null = null;
  const row = (state: string) => {
    if (!table.has(state)) table.set(state, new Map());
    return table.get(state)!;
  };
  for (const line of lines) {
    if (/^-+\+/.test(line)) continue; // the header's underline
    const cells = line.split('|').map((c) => c.trim());
    if (cells[0] === 'state' && cells.length > 1) {
      columns = cells.slice(1).map((c) => c.split(',').map((e) => e.trim()));
      for (const group of columns) for (const e of group) events.add(e);
      continue;
    }
    const final = /^([\w-]+(?:, [\w-]+)*): final$/.exec(line);
    if (final) {
      for (const state of final[1].split(', ')) row(state);
      continue;
    }
    const extra = /^([\w-]+):\s+([\w-]+(?:\s*\|\s*[\w-]+)*)\s*->\s*([\w-]+)/.exec(line);
    if (extra) {
      events.add(extra[1]);
      for (const from of extra[2].split('|')) row(from.trim()).set(extra[1], extra[3]);
      continue;
    }
    if (columns && cells.length === columns.length + 1 && /^[\w-]+$/.test(cells[0])) {
      columns.forEach((group, i) => {
        for (const e of group) row(cells[0]).set(e, cells[i + 1] || undefined);
      });
    }
  }
  if (!columns) throw new Error(`no transition table in the doc comment of ${modulePath}`);
  for (const moves of table.values()) for (const e of events) if (!moves.has(e)) moves.set(e, undefined);
  return { table, events };
}
