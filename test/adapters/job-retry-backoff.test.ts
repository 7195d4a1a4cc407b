import { describe, expect, it } from 'vitest';
import { RETRY_MAX_DELAY_MS, retryDelayMs } from '../../api/adapters/job-retry-backoff.js';

const lowest = () => 0;
const middle = () => 0.5;
const highest = () => 0.999999;

describe('retryDelayMs', () => {
  it('waits about 2 s after the first attempt and doubles after each one', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 0, middle))).toEqual([2_000, 4_000, 8_000, 16_000]);
  });

  it('spreads the wait by at most 20 % either way', () => {
    expect(retryDelayMs(1, 0, lowest)).toBe(1_600);
    expect(retryDelayMs(1, 0, highest)).toBe(2_400);
  });

  it('never waits longer than 10 minutes of its own accord', () => {
    expect(retryDelayMs(30, 0, highest)).toBe(RETRY_MAX_DELAY_MS);
  });

  it('waits as long as the server asked when that is longer, even past the cap', () => {
    expect(retryDelayMs(1, 90_000, highest)).toBe(90_000);
    expect(retryDelayMs(1, 3_600_000, middle)).toBe(3_600_000);
    expect(retryDelayMs(3, 1_000, middle)).toBe(8_000);
  });
});
