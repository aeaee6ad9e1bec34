// A small seeded pseudo-random generator (mulberry32) so that simulated fills are reproducible:
// the same seed and the same ticks give the same fills. Its whole state is one 32-bit integer,
// which callers persist with `rng.state()` and resume with `mulberry32(savedState)`.

export interface Rng {
  /** A number in [0, 1). */
  next(): number;
  /** The generator's current state; `mulberry32(state)` continues the same sequence. */
  state(): number;
}

export function mulberry32(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new RangeError(`rng seed must be an integer, got ${seed}`);
  let current = seed >>> 0;
  return {
    next() {
      current = (current + 0x6d2b79f5) >>> 0;
      let t = current;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    },
    state: () => current,
  };
}

/** A whole number drawn uniformly from [low, high]. */
export function nextInt(rng: Rng, low: number, high: number): number {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high < low) {
    throw new RangeError(`invalid integer range [${low}, ${high}]`);
  }
  return low + Math.floor(rng.next() * (high - low + 1));
}
