/**
 * Mailbox settings in a job: rules, automatic replies and folder permissions, copied once the
 * folders exist, with ledger rows of their own so a delta pass re-applies only what changed.
 */
import { createHash } from 'node:crypto';
import type { MailboxSession, MailboxSetting, SettingResult } from '../connector.js';
import { ItemRejectedError, ensureError } from '../errors.js';
import type { Counts, ErrorRow, Item, ItemType, LedgerEntry, Pass } from '../model.js';
import { zeroCounts } from '../counts.js';
import type { EngineDeps } from './job-context.js';

/** The error log's folder for mailbox settings (rules, automatic replies, permissions). */
export const SETTINGS_FOLDER = '(mailbox settings)';

/** What copySettings needs of the job that runs it. */
export interface SettingsRun {
  deps: EngineDeps;
  item: Item;
  pass: Pass;
  source: MailboxSession;
  dest: MailboxSession;
  /** The destination path of a source folder copied in this job ('' when the destination refused it). */
  destPath(sourcePath: string): string | undefined;
}

/** The settings a pass's item types select. */
export function settingTypesOf(itemTypes: Set<ItemType>): MailboxSetting['type'][] {
  const types: MailboxSetting['type'][] = [];
  if (itemTypes.has('rules')) types.push('rules', 'oof');
  if (itemTypes.has('permissions')) types.push('permissions');
  return types;
}

/**
 * Rules, automatic replies and folder permissions, after the folders exist at the destination
 * (a rule that moves mail to a folder, or a folder's permissions, must name the copied folder).
 * Each setting the destination cannot take is a row in the error log, never a silent drop.
 * Returns the settings' counts, or undefined when the source has none.
 *
 * Settings have ledger rows too (folder SETTINGS_FOLDER, key `type:key` or `type:label`, destId = a
 * fingerprint of the setting), so a delta pass re-applies only what is new or changed since it
 * was copied: the rest count as skipped, like items. A destination writes a folder's
 * permissions as one set, so when any permission of a folder must be written, all of that
 * folder's permissions are sent again (those unchanged still count as skipped).
 *
 * A destination may name its copy (SettingResult.destRef: a Graph rule's id). The ledger keeps it
 * after the fingerprint (`<fingerprint> <destRef>`) and hands it back on the setting
 * (MailboxSetting.destRef) when the setting changed, so the copy is updated, not added again.
 */
export async function copySettings(run: SettingsRun, types: MailboxSetting['type'][], errorKeys: Set<string>): Promise<Counts | undefined> {
  const { deps, item, pass, source, dest } = run;
  if (!source.exportSettings) return undefined; // IMAP has no server-side settings to read
  const exported = await source.exportSettings(types);
  if (exported.length === 0) return undefined;
  // What the source could not read is an error row of its own; the rest is copied.
  const unreadable: SettingResult[] = exported.flatMap((setting) => (setting.unreadable ? [{ setting, error: setting.unreadable }] : []));
  const settings = exported.filter((setting) => !setting.unreadable);
  const { tenantId, id: itemId } = item;
  const keyOf = (setting: MailboxSetting) => `${setting.type}:${setting.key ?? setting.label}`;
  const fingerprint = (setting: MailboxSetting) =>
    createHash('sha256')
      .update(JSON.stringify([setting.folder ?? '', setting.data]))
      .digest('hex');
  const done = new Map(
    (await deps.store.ledger.folderEntries(tenantId, itemId, SETTINGS_FOLDER))
      .filter((e) => e.state === 'done')
      .map((e) => [e.sourceKey, storedCopy(e.destId)]),
  );
  const unchanged = (setting: MailboxSetting) => done.get(keyOf(setting))?.fingerprint === fingerprint(setting);
  let wanted = settings.filter((setting) => !unchanged(setting));
  if (pass.kind === 'retry-errors') wanted = wanted.filter((setting) => errorKeys.has(keyOf(setting)));
  const permissionFolders = new Set(wanted.filter((s) => s.type === 'permissions').map((s) => s.folder));
  const todo = settings
    .filter((s) => wanted.includes(s) || (s.type === 'permissions' && permissionFolders.has(s.folder)))
    .map((s): MailboxSetting => {
      const destRef = done.get(keyOf(s))?.destRef;
      return destRef ? { ...s, destRef } : s;
    });
  const counts = zeroCounts();
  counts.skipped = settings.length - todo.length;
  if (todo.length === 0 && unreadable.length === 0) return counts;
  const imported: SettingResult[] =
    todo.length === 0
      ? []
      : dest.importSettings
        ? await dest.importSettings(todo, (path) => run.destPath(path))
        : todo.map((setting) => ({
            setting,
            error: new ItemRejectedError(
              `The destination (${dest.kind}) has no place for ${setting.type === 'oof' ? 'automatic replies' : setting.type}.`,
            ),
          }));
  const results = [...unreadable, ...imported];
  const failures = results.filter((r) => r.error);
  const successes = results.filter((r) => !r.error);
  counts.failed = failures.length;
  for (const { setting } of successes) {
    if (unchanged(setting)) counts.skipped++;
    else counts.copied++;
  }
  const at = deps.clock.now().toISOString();
  await deps.store.ledger.put(
    successes.map(
      ({ setting, destRef }): LedgerEntry => ({
        tenantId,
        itemId,
        folder: SETTINGS_FOLDER,
        sourceKey: keyOf(setting),
        destFolder: SETTINGS_FOLDER,
        destId: [fingerprint(setting), destRef ?? setting.destRef].filter(Boolean).join(' '),
        size: 0,
        internalDate: 0,
        state: 'done',
      }),
    ),
  );
  const fixed = successes.map(({ setting }) => keyOf(setting)).filter((key) => errorKeys.has(key));
  if (fixed.length) await deps.store.errors.remove(tenantId, itemId, SETTINGS_FOLDER, fixed);
  await deps.store.errors.put(
    failures.map(({ setting, error }): ErrorRow => {
      const e = ensureError(error);
      return {
        tenantId,
        itemId,
        passId: pass.id,
        folder: SETTINGS_FOLDER,
        sourceKey: keyOf(setting),
        subject: setting.label,
        size: 0,
        code: e.code,
        reason: e.message,
        at,
      };
    }),
  );
  return counts;
}

/** A settings ledger row's destId: the fingerprint of what was copied, then what the destination calls its copy. */
function storedCopy(destId: string): { fingerprint: string; destRef?: string } {
  const space = destId.indexOf(' ');
  return space < 0 ? { fingerprint: destId } : { fingerprint: destId.slice(0, space), destRef: destId.slice(space + 1) };
}
