/**
 * The collections list "in creation order", and Cosmos has no auto-increment. Each record gets
 * a creation sequence when inserted: wall-clock milliseconds × SEQUENCE_SLOTS_PER_MS, bumped by
 * one when two inserts fall in the same slot, so it is strictly increasing within a process.
 * Across Functions instances it follows their (NTP-synchronised) clocks; ties break on id.
 * The value never changes after insert, which is what keeps paging stable across replaces.
 * Date.now() × 1,000 stays below Number.MAX_SAFE_INTEGER until the year 2255.
 */
export const SEQUENCE_SLOTS_PER_MS = 1_000;

let lastSequence = 0;

export function nextCreationSequence(nowMs: number = Date.now()): number {
  lastSequence = Math.max(lastSequence + 1, nowMs * SEQUENCE_SLOTS_PER_MS);
  return lastSequence;
}
