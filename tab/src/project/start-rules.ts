/**
 * What the Start menu offers for the current selection, and why an entry is disabled. The
 * server enforces the same rules (api/core/services/pass-service.ts); saying them up front
 * spares the admin a refused pass.
 */
import type { ItemType, Pass, PassKind, PublicEndpoint } from '../api/types';
import { PASS_KIND_LABELS } from '../../../api/core/notifications/pass-kind-labels';
import { ACTIVE_STATUSES, type GridRow } from './items-view';

export interface StartEntry {
  kind: PassKind;
  label: string;
  /** Set when the entry is disabled: the reason, in the admin's words. */
  disabledReason?: string;
}

/** The same words the pass-ended card uses. */
export const PASS_LABELS = PASS_KIND_LABELS;

/** `targets`: the selected items, or every item when nothing is selected. */
export function startEntries(targets: readonly GridRow[]): StartEntry[] {
  const idle = targets.filter((r) => !ACTIVE_STATUSES.has(r.status));
  const common =
    targets.length === 0
      ? 'Add items to the project first.'
      : idle.length === 0
        ? 'Every selected item is already in a pass: wait for it or stop it.'
        : undefined;
  const withErrors = idle.some((r) => r.status === 'Completed With Errors');
  return (Object.keys(PASS_LABELS) as PassKind[]).map((kind) => {
    let disabledReason = common;
    if (!disabledReason && kind === 'retry-errors' && !withErrors) {
      disabledReason = 'Retry Errors needs at least one selected item that is "Completed With Errors".';
    }
    return { kind, label: PASS_LABELS[kind], disabledReason };
  });
}

export const ITEM_TYPE_LABELS: Record<ItemType, string> = {
  mail: 'Mail',
  contacts: 'Contacts',
  calendar: 'Calendar',
  tasks: 'Tasks',
  notes: 'Notes',
  journal: 'Journal',
  rules: 'Rules and automatic replies',
  permissions: 'Folder permissions',
};

/**
 * The item types a pass may copy from this source: an IMAP mailbox holds mail only; an Exchange
 * or Microsoft 365 one holds them all. Unknown source (still loading): mail only.
 */
export function itemTypesFor(sourceKind: PublicEndpoint['kind'] | undefined): ItemType[] {
  return sourceKind && sourceKind !== 'imap' ? (Object.keys(ITEM_TYPE_LABELS) as ItemType[]) : ['mail'];
}

/**
 * What a new pass dialog has ticked: every kind of content the source holds; rules and permissions
 * are asked for. An IMAP destination holds mail only (anything else becomes an error row), so
 * then only mail is ticked.
 */
export function defaultItemTypes(offered: readonly ItemType[], destinationKind?: PublicEndpoint['kind']): ItemType[] {
  if (destinationKind === 'imap') return offered.filter((t) => t === 'mail');
  return offered.filter((t) => t !== 'rules' && t !== 'permissions');
}

export const IMAP_DESTINATION_NOTE = 'The destination is an IMAP server, which holds mail only: any other type ends in the error log.';

/** Verify Credentials opens the mailboxes and copies nothing: it has no item types. */
export const copiesItems = (kind: PassKind): boolean => kind !== 'verify';

const ITEM_TYPES_ORDER = Object.keys(ITEM_TYPE_LABELS) as ItemType[];

export const CUTOFF_DAYS = [30, 60, 90, 180] as const;
export type CutoffChoice = `${(typeof CUTOFF_DAYS)[number]}` | 'date';

/** Pre-stage copies what is older than the cutoff; the API takes "90 days ago" or a date. */
export function cutoffValue(choice: CutoffChoice, date: string): string | undefined {
  if (choice !== 'date') return `${choice} days ago`;
  return date.trim() ? date.trim() : undefined;
}

export interface PassRequest {
  kind: PassKind;
  itemIds?: string[];
  cutoff?: string;
  itemTypes?: ItemType[];
  startAt?: string;
}

/**
 * The POST /projects/{id}/passes body. No selection means every item; `startAtLocal` is a
 * datetime-local value; no item types means the API's default (mail).
 */
export function passRequest(
  kind: PassKind,
  selectedIds: readonly string[],
  cutoff: string | undefined,
  startAtLocal: string,
  itemTypes: readonly ItemType[] = [],
): PassRequest {
  const body: PassRequest = { kind };
  if (selectedIds.length) body.itemIds = [...selectedIds];
  if (kind === 'prestage' && cutoff) body.cutoff = cutoff;
  if (copiesItems(kind) && itemTypes.length) body.itemTypes = ITEM_TYPES_ORDER.filter((t) => itemTypes.includes(t));
  if (startAtLocal.trim()) body.startAt = new Date(startAtLocal).toISOString();
  return body;
}

/** Passes that Stop can still stop. */
export function stoppablePasses(passes: readonly Pass[]): Pass[] {
  return passes.filter((p) => p.status === 'running' || p.status === 'scheduled');
}
