/**
 * "Did you mean …?" for names admins type: support option keys and CSV column headers.
 */

/** Beyond this many edits a suggestion is more often wrong than helpful. */
export const MAX_SUGGESTION_DISTANCE = 3;

/** The candidate closest to `name` ignoring case, if within `maxDistance` edits; the first listed wins ties. */
export function nearestName(name: string, candidates: readonly string[], maxDistance = MAX_SUGGESTION_DISTANCE): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= maxDistance && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance, one row at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
