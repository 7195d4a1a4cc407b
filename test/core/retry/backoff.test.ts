import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../../api/core/retry/index.js';

const SCHEDULE = { baseMs: 1_000, maxMs: 10_000, jitterRatio: 0.2 };
const lowest = () => 0;
const middle = () => 0.5;
const highest = () => 0.999999;

describe('backoffMs', () => {
  it('starts at the base after the first failure and doubles after each one', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, SCHEDULE, middle))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('spreads each wait by at most the jitter ratio either way', () => {
    expect(backoffMs(2, SCHEDULE, lowest)).toBe(1_600);
    expect(backoffMs(2, SCHEDULE, highest)).toBe(2_400);
  });

  it('never waits past its cap, jitter included', () => {
    expect(backoffMs(5, SCHEDULE, highest)).toBe(10_000);
    expect(backoffMs(40, SCHEDULE, lowest)).toBe(10_000);
  });

  it('reads attempt 0 as the first', () => {
    expect(backoffMs(0, SCHEDULE, middle)).toBe(1_000);
  });
});
