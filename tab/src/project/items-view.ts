/**
 * The grid's rows: items as listed, overlaid with the live progress poll, then filtered and
 * sorted. Pure so the rules are tested without a browser.
 */
import { nowOrTotal } from '../../../api/core/counts';
import type { ItemStatus, ProgressRow, PublicItem } from '../api/types';

export interface GridRow {
  id: string;
  sourceAddress: string;
  destinationAddress: string;
  status: ItemStatus;
  reason?: string;
  copied: number;
  failed: number;
  bytes: number;
  /** 0..1 while the item runs; undefined otherwise. */
  progress?: number;
  currentFolder?: string;
  /** The item's last pass: credential links are resent per pass. */
  passId?: string;
}

export type SortColumn = 'sourceAddress' | 'destinationAddress' | 'status' | 'copied' | 'failed' | 'bytes';
export interface SortSpec {
  column: SortColumn;
  direction: 'ascending' | 'descending';
}
export interface RowFilter {
  status?: ItemStatus;
  search?: string;
}

/** The server's own list: an item waiting for its end user is in a pass too. */
export { ACTIVE_STATUSES } from '../../../api/core/model';

export function toGridRows(items: PublicItem[], progress: ProgressRow[] | undefined): GridRow[] {
  const live = new Map((progress ?? []).map((p) => [p.id, p]));
  return items.map((item) => {
    const p = live.get(item.id);
    const status = p?.status ?? item.status;
    // While a pass runs, its own counts are the news; otherwise what is true now: messages at the
    // destination and errors in the log (totals over passes would count a retried failure forever).
    const running = status === 'Running' && p?.progress;
    const now = nowOrTotal(item.statistics);
    return {
      id: item.id,
      sourceAddress: item.sourceAddress,
      destinationAddress: item.destinationAddress,
      status,
      reason: p ? p.reason : item.lastRun?.reason,
      copied: running ? p.progress!.copied : now.messagesAtDestination,
      failed: running ? p.progress!.failed : now.currentErrors,
      bytes: running ? p.progress!.bytes : item.statistics.bytes,
      progress: running ? fraction(p.progress!.foldersDone, p.progress!.foldersTotal) : undefined,
      currentFolder: running ? p.progress!.currentFolder : undefined,
      passId: item.lastRun?.passId,
    };
  });
}

function fraction(done: number, total: number): number {
  return total > 0 ? Math.min(1, done / total) : 0;
}

export function filterRows(rows: GridRow[], filter: RowFilter): GridRow[] {
  const needle = filter.search?.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!filter.status || r.status === filter.status) &&
      (!needle || r.sourceAddress.includes(needle) || r.destinationAddress.includes(needle)),
  );
}

export function sortRows(rows: GridRow[], sort: SortSpec | undefined): GridRow[] {
  if (!sort) return rows;
  const sign = sort.direction === 'ascending' ? 1 : -1;
  const key = sort.column;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return order * sign || a.sourceAddress.localeCompare(b.sourceAddress);
  });
}

/**
 * Whether any item moved between two polls (status or counts): the moment to re-read item
 * totals. Counts matter too, because a short pass can start and end between two polls.
 */
export function progressChanged(before: ProgressRow[] | undefined, after: ProgressRow[]): boolean {
  if (!before) return false;
  const signature = (p: ProgressRow) => `${p.status}|${p.progress?.copied}|${p.progress?.failed}|${p.progress?.foldersDone}|${p.reason}`;
  const old = new Map(before.map((p) => [p.id, signature(p)]));
  return before.length !== after.length || after.some((p) => old.get(p.id) !== signature(p));
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * The line over the grid: how many items are shown and selected, then how many are in each
 * status. A project without items says what to do instead of "0 of 0 item(s) ·".
 */
export function itemsStatusLine(shown: number, total: number, selected: number, totals: Record<string, number> | undefined): string {
  if (total === 0) return 'No items yet: add mailboxes with Add → Quick Add, or many at once with Add → Bulk Add (CSV).';
  const counted =
    shown === total ? plural(total, 'item', 'items') : `${shown.toLocaleString('en-US')} of ${plural(total, 'item', 'items')} shown`;
  const chosen = selected ? `, ${selected.toLocaleString('en-US')} selected` : '';
  const byStatus = Object.entries(totals ?? {})
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s}: ${n.toLocaleString('en-US')}`)
    .join(', ');
  return `${counted}${chosen}${byStatus ? ` · ${byStatus}` : ''}`;
}
