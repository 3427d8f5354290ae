/**
 * Human output: aligned tables, colour on a terminal and none when piped (or NO_COLOR);
 * `--json` output is the API's JSON, printed as is, for jq.
 */
const useColour = process.stdout.isTTY === true && !process.env.NO_COLOR;

const wrap = (code: number) => (text: string) => (useColour ? `\u001b[${code}m${text}\u001b[0m` : text);
export const colour = { bold: wrap(1), dim: wrap(2), red: wrap(31), green: wrap(32), yellow: wrap(33), cyan: wrap(36) };

// eslint-disable-next-line no-control-regex -- ANSI colour codes are exactly what this strips
const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

/** Prints rows as a table with a header; columns padded to their widest cell. */
export function table(headers: string[], rows: Array<Array<string | number | null>>): void {
  const cells = rows.map((r) => r.map((c) => (c === null ? '—' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visible(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((c, i) => c + ' '.repeat(Math.max(0, widths[i] - visible(c))))
      .join('  ')
      .trimEnd();
  console.log(colour.bold(line(headers)));
  for (const r of cells) console.log(line(r));
  if (rows.length === 0) console.log(colour.dim('(none)'));
}

export function json(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

export const pct = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 1000) / 10}%`);
export const secs = (ms: number | null) =>
  ms === null ? '—' : ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 6000) / 10}m`;
export const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;
