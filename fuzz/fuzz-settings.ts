/** The fuzz runs' settings from the environment, and a loop bounded by time. */

export interface FuzzSettings {
  /** FUZZ_SECONDS: how long each fuzz file runs (default 120). */
  readonly seconds: number;
  /** FUZZ_SEED: the seed of the run's randomness (default: drawn, and printed to replay). */
  readonly seed: number;
}

export function fuzzSettings(env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  const seconds = env.FUZZ_SECONDS === undefined || env.FUZZ_SECONDS === '' ? 120 : Number(env.FUZZ_SECONDS);
  if (!(seconds > 0 && seconds <= 3600)) throw new RangeError(`FUZZ_SECONDS must be 1-3600, not ${env.FUZZ_SECONDS}`);
  const seed = env.FUZZ_SEED === undefined || env.FUZZ_SEED === '' ? Math.floor(Math.random() * 2 ** 31) : Number(env.FUZZ_SEED);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`FUZZ_SEED must be a non-negative integer, not ${env.FUZZ_SEED}`);
  return { seconds, seed };
}

/** Calls `one(i)` until `seconds` have passed or it returns false; returns how many calls it made. */
export function runFor(seconds: number, one: (i: number) => boolean): number {
  const deadline = Date.now() + seconds * 1000;
  let i = 0;
  while (Date.now() < deadline) {
    // The clock is read once per hundred inputs: it costs more than a small input.
    for (let k = 0; k < 100; k++, i++) if (!one(i)) return i + 1;
  }
  return i;
}
