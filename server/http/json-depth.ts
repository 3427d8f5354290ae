/**
 * JSON nesting depth, measured on the text before anything parses it: a linear scan that
 * counts `[` and `{` outside strings, so a hostile body of 100,000 nested `[` costs one
 * pass and never reaches a recursive function (JSON.stringify, zod) that would overflow.
 */

/** True when `text` nests arrays and objects deeper than `max`. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}
