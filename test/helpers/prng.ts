/** Seeded randomness for tests that generate input, so that a failing case can be replayed. */

/** A number in [0, 1), as Math.random gives. */
export type Random = () => number;

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
export function prng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
