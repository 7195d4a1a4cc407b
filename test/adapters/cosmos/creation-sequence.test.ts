import { describe, expect, it } from 'vitest';
import { nextCreationSequence, SEQUENCE_SLOTS_PER_MS } from '../../../api/adapters/cosmos/creation-sequence.js';

describe('the creation sequence', () => {
  it('keeps increasing when many inserts share one millisecond', () => {
    const nowMs = Date.now() + 60_000;
    const values = Array.from({ length: 5_000 }, () => nextCreationSequence(nowMs));
    expect(values.every((value, index) => index === 0 || value > values[index - 1]!)).toBe(true);
  });

  it('keeps increasing when the clock steps back', () => {
    const before = nextCreationSequence(Date.now() + 120_000);
    expect(nextCreationSequence(Date.now() - 3_600_000)).toBeGreaterThan(before);
  });

  it('follows the clock when it moves on, so other processes interleave by time', () => {
    const now = Date.now() + 180_000;
    const earlier = nextCreationSequence(now);
    const later = nextCreationSequence(now + 1);
    expect(earlier).toBe(now * SEQUENCE_SLOTS_PER_MS);
    expect(later).toBe((now + 1) * SEQUENCE_SLOTS_PER_MS);
    expect(Number.isSafeInteger(later)).toBe(true);
  });
});
