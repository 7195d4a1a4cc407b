/**
 * Rules and request bodies of the toolbar's admin actions: Change Domain, Notify users and
 * Resend credential links. Pure so they are tested without a browser; the server enforces the
 * same limits (api/core/schemas.ts, api/core/end-user/end-user-inputs.ts), saying them up front
 * spares the admin a refused request.
 */
import type { DeliveryReport } from '../api/types';
import type { GridRow } from './items-view';

export const WAITING = 'Waiting For End User';
/** The API's cap on itemIds per notify or credential-link request (MAX_NOTIFY_ITEMS). */
export const MAX_DELIVERY_ITEMS = 1_000;
/** Placeholders the API fills per item (NOTIFY_PLACEHOLDERS in api/core/end-user/templates.ts). */
export const NOTIFY_PLACEHOLDERS = ['sourceAddress', 'destinationAddress', 'projectName'] as const;
const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;

export type Side = 'source' | 'destination';

/** What an action works on: the selected items, or every item when nothing is selected. */
export interface ActionScope {
  targets: readonly GridRow[];
  /** True when the admin selected items; the bodies then name them. */
  selection: boolean;
}

export function actionScope(rows: readonly GridRow[], selectedRows: readonly GridRow[]): ActionScope {
  return selectedRows.length ? { targets: selectedRows, selection: true } : { targets: rows, selection: false };
}

/** The sentence each dialog opens with, so "nothing selected means all" is never a surprise. */
export function scopeText(scope: ActionScope): string {
  return scope.selection
    ? `the ${scope.targets.length} selected item(s)`
    : `all ${scope.targets.length} item(s) of the project (none is selected)`;
}

/** Change Domain and Notify users need at least one item; set when they are disabled. */
export function emptyScopeReason(scope: ActionScope): string | undefined {
  return scope.targets.length ? undefined : 'Add items to the project first.';
}

/** "Edit item" works on one item: the selected one. */
export function editItemReason(selectedRows: readonly GridRow[]): string | undefined {
  if (selectedRows.length === 1) return undefined;
  return selectedRows.length ? 'Select only one item to edit it.' : 'Select the item to edit, or open it from its address.';
}

export interface ChangeDomainRequest {
  side: Side;
  fromDomain: string;
  toDomain: string;
  itemIds?: string[];
}

/** The change-domain body; no itemIds means all items, which also covers items added since the grid loaded. */
export function changeDomainRequest(scope: ActionScope, side: Side, fromDomain: string, toDomain: string): ChangeDomainRequest {
  // A pasted "@contoso.com" means the domain; the API compares bare domains.
  const bare = (d: string) => d.trim().replace(/^@/, '');
  const body: ChangeDomainRequest = { side, fromDomain: bare(fromDomain), toDomain: bare(toDomain) };
  if (scope.selection) body.itemIds = scope.targets.map((r) => r.id);
  return body;
}

export function changedText(changed: number): string {
  return `${changed} item(s) changed.`;
}

/** Placeholders the API would refuse, e.g. a typo such as {{sourceAdress}}. */
export function unknownPlaceholders(template: string): string[] {
  const known: readonly string[] = NOTIFY_PLACEHOLDERS;
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !known.includes(name));
  return [...new Set(names)];
}

export function placeholderProblem(template: string): string | undefined {
  const unknown = unknownPlaceholders(template);
  if (!unknown.length) return undefined;
  return `Unknown placeholder ${unknown.map((n) => `{{${n}}}`).join(', ')}; use ${NOTIFY_PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}.`;
}

export interface NotifyUsersRequest {
  itemIds: string[];
  subject: string;
  message: string;
  recipient: Side;
}

/** notify-users bodies: the API always wants itemIds (at most 1,000), so "all" is sent in chunks. */
export function notifyUsersRequests(scope: ActionScope, subject: string, message: string, recipient: Side): NotifyUsersRequest[] {
  return chunks(
    scope.targets.map((r) => r.id),
    MAX_DELIVERY_ITEMS,
  ).map((itemIds) => ({ itemIds, subject: subject.trim(), message: message.trim(), recipient }));
}

export interface ResendPlan {
  /** Set when the action is disabled: the reason, in the admin's words. */
  disabledReason?: string;
  waiting: number;
  /** One POST /passes/{passId}/credential-requests per entry. */
  requests: { passId: string; body: { itemIds?: string[] } }[];
}

/** Which credential-link requests to send: per pass, for the waiting items among the targets. */
export function resendPlan(scope: ActionScope): ResendPlan {
  const waiting = scope.targets.filter((r) => r.status === WAITING && r.passId);
  if (!waiting.length) {
    const disabledReason =
      emptyScopeReason(scope) ??
      (scope.selection
        ? `None of the selected items is "${WAITING}".`
        : `No item is "${WAITING}": links are sent when a pass needs a user's password.`);
    return { disabledReason, waiting: 0, requests: [] };
  }
  const byPass = new Map<string, string[]>();
  for (const row of waiting) byPass.set(row.passId!, [...(byPass.get(row.passId!) ?? []), row.id]);
  const requests = [...byPass].flatMap(([passId, ids]) =>
    scope.selection
      ? chunks(ids, MAX_DELIVERY_ITEMS).map((itemIds) => ({ passId, body: { itemIds } }))
      : // Nothing selected: the API picks the pass's waiting items itself, so a grid a poll behind
        // neither misses a newly waiting item nor reports one that was just confirmed as failed.
        [{ passId, body: {} }],
  );
  return { waiting: waiting.length, requests };
}

export function mergeReports(reports: readonly DeliveryReport[]): DeliveryReport {
  return {
    sent: reports.reduce((n, r) => n + r.sent, 0),
    failed: reports.reduce((n, r) => n + r.failed, 0),
    results: reports.flatMap((r) => r.results),
  };
}

export function reportText(report: DeliveryReport): string {
  return `Sent ${report.sent}, failed ${report.failed}.`;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
