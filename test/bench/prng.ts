/**
 * A small seeded PRNG (mulberry32) so the corpus is the same on every run with the same seed:
 * two bench runs, or a bench and a profile, then measure the same bytes.
 */
const UINT32_RANGE = 2 ** 32;
/** Odd 32-bit constants from splitmix/murmur3: they scatter nearby seeds and indexes apart. */
const GOLDEN_GAMMA = 0x9e3779b1;
const MIX_MULTIPLIER = 0x85ebca6b;

export class Prng {
  private state: number;

  constructor(seed: number) {
    // `>>> 0` keeps the state an unsigned 32-bit integer whatever number the caller passed.
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32_RANGE;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)]!;
  }

  /** Standard normal by Box-Muller; used for log-normal message sizes. */
  normal(): number {
    const u = Math.max(this.next(), Number.EPSILON);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-uniform in [min, max]: as many messages of 100-200 KB as of 500 KB-1 MB. */
  logUniform(min: number, max: number): number {
    return Math.round(Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min))));
  }

  /** An independent stream for one message: the same (seed, index) always gives the same message. */
  static forItem(seed: number, index: number): Prng {
    return new Prng(Math.imul(seed ^ GOLDEN_GAMMA, index + 1) ^ Math.imul(index, MIX_MULTIPLIER));
  }
}
