/**
 * Flag and keyword changes made at the source after a message was copied (read, flagged,
 * answered, `$Junk`, custom keywords; removals too) are carried to its copy by the next pass.
 * The ledger knows each copy's destination id; the destination says what its copies carry now,
 * and only the differences are written, so a pass that finds nothing changed writes nothing.
 * The source's listing decides which messages are compared: with CONDSTORE only those whose
 * flags changed since the last pass (api/connectors/imap/list-changes.ts), otherwise all of them.
 * The source wins for the messages compared: a flag set only at the destination on one of them is
 * removed, as the source's state is the one being migrated.
 */
import type { FlagChange, MailboxSession, MessageRef } from '../connector.js';
import type { LedgerEntry } from '../model.js';

/** `\Recent` belongs to the server's session (RFC 3501 §2.3.2): never compared, never written. */
const comparable = (flags: readonly string[]) => new Set(flags.filter((flag) => flag.toLowerCase() !== '\\recent'));

/** Returns how many destination messages had their flags changed. */
export async function syncFlags(
  dest: MailboxSession,
  destPath: string,
  copied: { ref: MessageRef; entry: LedgerEntry }[],
): Promise<number> {
  if (!dest.readFlags || !dest.updateFlags) return 0;
  const mine = copied.filter(({ entry }) => entry.destFolder === destPath && entry.destId !== '');
  if (mine.length === 0) return 0;
  const current = await dest.readFlags(
    destPath,
    mine.map(({ entry }) => entry.destId),
  );
  const changes: FlagChange[] = [];
  for (const { ref, entry } of mine) {
    const have = current.get(entry.destId);
    if (!have) continue; // deleted or moved at the destination: nothing to update
    const want = comparable(ref.flags);
    const now = comparable(have);
    const add = [...want].filter((flag) => !now.has(flag));
    const remove = [...now].filter((flag) => !want.has(flag));
    if (add.length || remove.length) changes.push({ destId: entry.destId, add, remove });
  }
  if (changes.length) await dest.updateFlags(destPath, changes);
  return changes.length;
}
