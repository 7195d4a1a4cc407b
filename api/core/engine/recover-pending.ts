import type { DestinationEntry, MailboxSession } from '../connector.js';
import type { LedgerEntry } from '../model.js';
import type { Ledger } from '../ports.js';

/**
 * A job that died between a destination write and its ledger commit leaves `pending` ledger
 * entries carrying the destination's UIDNEXT from before the write. Every message that job
 * appended has a UID at or above that floor, so we list that range and pair each pending entry
 * with an unclaimed destination message of the same size and internal date. Paired entries become
 * `done` (no second copy); unpaired ones are dropped and copied again. Message bytes are never
 * altered to carry a marker, so fidelity holds (docs/design.md: "Crash safety"). A destination that can
 * store the source key beside the item without touching its content (EWS: a named extended
 * property) returns it from listRange, and those entries are paired by key, exactly.
 */
export async function recoverPending(
  ledger: Ledger,
  dest: MailboxSession,
  done: Map<string, LedgerEntry>,
  pending: LedgerEntry[],
): Promise<{ recovered: LedgerEntry[]; dropped: LedgerEntry[] }> {
  const recovered: LedgerEntry[] = [];
  const dropped: LedgerEntry[] = [];
  for (const [destFolder, group] of groupBy(pending, (e) => e.destFolder)) {
    const floor = Math.min(...group.map((e) => e.destUidFloor ?? Number.MAX_SAFE_INTEGER));
    const state = await dest.folderState(destFolder);
    const idOf = (d: DestinationEntry) => d.destId ?? `${state.uidValidity}:${d.uid}`;
    const claimed = new Set([...done.values()].filter((e) => e.destFolder === destFolder).map((e) => e.destId));
    const candidates: DestinationEntry[] =
      Number.isFinite(floor) && floor < Number.MAX_SAFE_INTEGER
        ? (await dest.listRange(destFolder, floor)).filter((d) => !claimed.has(idOf(d)))
        : [];
    // A destination that marks its writes with the source key (EWS) is paired exactly.
    const byKey = new Map(candidates.filter((d) => d.sourceKey !== undefined).map((d) => [d.sourceKey!, d]));
    const used = new Set<DestinationEntry>();
    const unmarked: { destId: string; sourceKey: string }[] = [];
    const markOf = (key: string) => (dest.markOf ? dest.markOf(key) : key);
    for (const entry of group.sort(sourceOrder)) {
      const marked = byKey.get(markOf(entry.sourceKey));
      const match =
        marked ??
        (entry.destUidValidity === state.uidValidity
          ? candidates.find(
              (d) =>
                !used.has(d) &&
                d.sourceKey === undefined &&
                d.size === entry.size &&
                (d.internalDate === undefined || d.internalDate === entry.internalDate),
            )
          : undefined);
      if (match && !used.has(match)) {
        used.add(match);
        recovered.push({ ...entry, state: 'done', destId: idOf(match) });
        if (match.sourceKey === undefined) unmarked.push({ destId: idOf(match), sourceKey: entry.sourceKey });
      } else {
        dropped.push(entry);
      }
    }
    if (unmarked.length && dest.markRecovered) await dest.markRecovered(destFolder, unmarked);
  }
  if (recovered.length) await ledger.put(recovered);
  const first = pending[0];
  if (dropped.length && first) {
    await ledger.deletePending(
      first.tenantId,
      first.itemId,
      first.folder,
      dropped.map((e) => e.sourceKey),
    );
  }
  return { recovered, dropped };
}

/**
 * The order the job wrote in, so a pending entry is paired before the ones written after it:
 * IMAP keys end in the UID; other sources (EWS, Graph item ids) were listed oldest first, ties by key.
 */
function sourceOrder(a: LedgerEntry, b: LedgerEntry): number {
  const uidA = Number(a.sourceKey.split(':').pop());
  const uidB = Number(b.sourceKey.split(':').pop());
  if (Number.isFinite(uidA) && Number.isFinite(uidB)) return uidA - uidB;
  return a.internalDate - b.internalDate || (a.sourceKey < b.sourceKey ? -1 : a.sourceKey > b.sourceKey ? 1 : 0);
}

function groupBy<T>(values: T[], key: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const k = key(value);
    const group = groups.get(k);
    if (group) group.push(value);
    else groups.set(k, [value]);
  }
  return groups;
}
