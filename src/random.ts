// The project's one seeded random generator (mulberry32): tests, benches, examples and the
// region analytics that sample directions all draw from here, so a seed means the same stream
// everywhere. Its numbers are hints for choosing inputs, never claimed values.

/** A deterministic stream of uniforms in [0, 1) for a 32-bit seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [min, max] (both included) drawn from `next`. */
export function randomInt(next: () => number, min: number, max: number): number {
  return min + Math.floor(next() * (max - min + 1));
}
