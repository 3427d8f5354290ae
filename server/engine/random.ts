/**
 * Seeded pseudo-random numbers, so engine runs (tests, simulations, the demo's bead
 * contents) are reproducible. mulberry32: tiny, fast, good enough for workload shapes;
 * not for anything security-related.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A seed derived from a string (FNV-1a), e.g. a bead id. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function pickInt(random: Random, minInclusive: number, maxInclusive: number): number {
  return minInclusive + Math.floor(random.next() * (maxInclusive - minInclusive + 1));
}

/** Index in [0, n) drawn from a Zipf-like law: low indexes (hotspots) come up most. */
export function pickSkewed(random: Random, n: number, skew = 1.2): number {
  let total = 0;
  for (let i = 1; i <= n; i++) total += 1 / i ** skew;
  let r = random.next() * total;
  for (let i = 1; i <= n; i++) {
    r -= 1 / i ** skew;
    if (r <= 0) return i - 1;
  }
  return n - 1;
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Short ids in the beads style: `gt-k3x9q2mz`. Eight base-36 characters keep collisions negligible over millions of ids. */
export function makeId(prefix: string, random: Random, length = 8): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(random.next() * ALPHABET.length)];
  return `${prefix}-${s}`;
}
