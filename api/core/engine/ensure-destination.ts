/**
 * The destination folder of one plan entry. Names are kept exactly where the destination takes
 * them; a name with `"` that the destination refuses is created with `'` instead (the plan's
 * `quoteFallback`, only while AllowQuoteInFolder is unset), and a warning row in the item's error
 * log names the folder and its new name. The row is a notice, not a failure: it counts in no
 * pass's failed figure, and it goes away once the destination takes the name.
 */
import type { MailboxSession } from '../connector.js';
import { ensureError } from '../errors.js';
import type { ErrorRow } from '../model.js';
import type { ErrorLog } from '../ports.js';
import type { FolderTarget } from './copy-folder.js';

/** The error-log key of the warning that a folder was created under another name. */
export const RENAMED_ROW_KEY = '(folder renamed)';
export const RENAMED_ROW_CODE = 'folder-renamed';

/** Errors with which a destination refuses one folder (not the mailbox): the other folders go on. */
export const FOLDER_REFUSALS = new Set(['validation', 'rejected', 'forbidden', 'not-found', 'unsupported']);

export interface EnsureDestinationInput {
  tenantId: string;
  itemId: string;
  passId: string;
  target: FolderTarget;
  dest: MailboxSession;
  errors: ErrorLog;
  errorKeys: ReadonlySet<string>;
  now(): Date;
}

export type Ensured = Awaited<ReturnType<MailboxSession['ensureFolder']>>;

/** The folder as created, or the destination's refusal (for the caller's error rows); other faults throw. */
export async function ensureDestination(input: EnsureDestinationInput): Promise<{ ensured: Ensured } | { refusal: Error }> {
  const { target, dest } = input;
  try {
    const ensured = await dest.ensureFolder(target.destSegments, target.source.itemType);
    if (input.errorKeys.has(RENAMED_ROW_KEY))
      await input.errors.remove(input.tenantId, input.itemId, target.source.path, [RENAMED_ROW_KEY]);
    return { ensured };
  } catch (raw) {
    const error = ensureError(raw);
    if (error.retryable || !FOLDER_REFUSALS.has(error.code)) throw error;
    if (!target.quoteFallback) return { refusal: error };
    try {
      const ensured = await dest.ensureFolder(target.quoteFallback, target.source.itemType);
      await input.errors.put([renamedRow(input, ensured.path, error)]);
      return { ensured };
    } catch (second) {
      const fallbackError = ensureError(second);
      if (fallbackError.retryable || !FOLDER_REFUSALS.has(fallbackError.code)) throw fallbackError;
      return { refusal: error };
    }
  }
}

function renamedRow(input: EnsureDestinationInput, createdAs: string, refusal: Error): ErrorRow {
  const { target } = input;
  const wanted = target.destSegments.join('/');
  return {
    tenantId: input.tenantId,
    itemId: input.itemId,
    passId: input.passId,
    folder: target.source.path,
    sourceKey: RENAMED_ROW_KEY,
    subject: `Folder "${target.source.path}"`,
    size: 0,
    code: RENAMED_ROW_CODE,
    reason: `The destination refused the folder name "${wanted}" (${refusal.message}), so the folder was created as "${createdAs}" with ' in place of ". Its messages are copied there.`,
    at: input.now().toISOString(),
  };
}
