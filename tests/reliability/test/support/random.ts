/**
 * A seeded generator (mulberry32), so a failing round can be replayed: the seed is printed, and
 * RELIABILITY_SEED=<seed> runs the same kill moments again.
 */
export function seededRandom(tag: string): {
  seed: number;
  next: () => number;
  int: (max: number) => number;
} {
  const seed = Number(process.env.RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.info(`[reliability] ${tag}: seed ${seed} (replay with RELIABILITY_SEED=${seed})`);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (max: number) => Math.floor(next() * max) };
}
