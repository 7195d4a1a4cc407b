/**
 * What the Start menu offers for the current selection, and why an entry is disabled. The
 * server enforces the same rules (api/core/services/pass-service.ts); saying them up front
 * spares the admin a refused pass.
 */
import type { Pass, PassKind } from '../api/types';
import { ACTIVE_STATUSES, type GridRow } from './items-view';

export interface StartEntry {
  kind: PassKind;
  label: string;
  /** Set when the entry is disabled: the reason, in the admin's words. */
  disabledReason?: string;
}

export const PASS_LABELS: Record<PassKind, string> = {
  verify: 'Verify Credentials',
  trial: 'Trial Migration',
  prestage: 'Pre-Stage Migration',
  full: 'Full Migration',
  'retry-errors': 'Retry Errors',
};

/** `targets`: the selected items, or every item when nothing is selected. */
export function startEntries(targets: readonly GridRow[]): StartEntry[] {
  const idle = targets.filter((r) => !ACTIVE_STATUSES.has(r.status));
  const common = targets.length === 0 ? 'Add items to the project first.'
    : idle.length === 0 ? 'Every selected item is already in a pass: wait for it or stop it.' : undefined;
  const withErrors = idle.some((r) => r.status === 'Completed With Errors');
  return (Object.keys(PASS_LABELS) as PassKind[]).map((kind) => {
    let disabledReason = common;
    if (!disabledReason && kind === 'retry-errors' && !withErrors) {
      disabledReason = 'Retry Errors needs at least one selected item that is "Completed With Errors".';
    }
    return { kind, label: PASS_LABELS[kind], disabledReason };
  });
}

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
  startAt?: string;
}

/** The POST /projects/{id}/passes body. No selection means every item; `startAtLocal` is a datetime-local value. */
export function passRequest(kind: PassKind, selectedIds: readonly string[], cutoff: string | undefined, startAtLocal: string): PassRequest {
  const body: PassRequest = { kind };
  if (selectedIds.length) body.itemIds = [...selectedIds];
  if (kind === 'prestage' && cutoff) body.cutoff = cutoff;
  if (startAtLocal.trim()) body.startAt = new Date(startAtLocal).toISOString();
  return body;
}

/** Passes that Stop can still stop. */
export function stoppablePasses(passes: readonly Pass[]): Pass[] {
  return passes.filter((p) => p.status === 'running' || p.status === 'scheduled');
}
