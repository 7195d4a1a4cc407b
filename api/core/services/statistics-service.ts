import { addCounts, messagesPerSecond, nowOrTotal } from '../counts.js';
import type { ErrorRow, Item, ItemStatus } from '../model.js';
import type { ServiceDeps } from './context.js';
import { listAll, projectItems } from '../list-all.js';

export interface ProjectStatistics {
  items: number;
  byStatus: Partial<Record<ItemStatus, number>>;
  copied: number;
  skipped: number;
  failed: number;
  bytes: number;
  durationMs: number;
  /** Now, not added up over passes: messages at the destination and rows in the error logs. */
  messagesAtDestination: number;
  currentErrors: number;
  /** Messages per second over the time items spent migrating. */
  messagesPerSecond: number;
  errorsByReason: ReasonCount[];
}

export interface ReasonCount {
  code: string;
  reason: string;
  count: number;
}

const TOP_REASONS = 10;
const ERROR_PAGE_SIZE = 1000;
const CSV_COLUMNS = [
  'Source Email',
  'Destination Email',
  'Status',
  'Passes',
  'Folders',
  'Items Copied',
  'Items Skipped',
  'Items Failed',
  'Bytes',
  'Duration Seconds',
  'Last Pass',
  'Reason',
  'Messages At Destination',
  'Current Errors',
] as const;

export class StatisticsService {
  constructor(private readonly deps: ServiceDeps) {}

  async project(tenantId: string, projectId: string): Promise<ProjectStatistics> {
    const items = await this.items(tenantId, projectId);
    const stats: ProjectStatistics = {
      items: items.length,
      byStatus: {},
      copied: 0,
      skipped: 0,
      failed: 0,
      bytes: 0,
      durationMs: 0,
      messagesAtDestination: 0,
      currentErrors: 0,
      messagesPerSecond: 0,
      errorsByReason: [],
    };
    const errorRows: ErrorRow[] = [];
    for (const item of items) {
      stats.byStatus[item.status] = (stats.byStatus[item.status] ?? 0) + 1;
      addCounts(stats, item.statistics);
      stats.durationMs += item.statistics.durationMs;
      stats.messagesAtDestination += nowOrTotal(item.statistics).messagesAtDestination;
      stats.currentErrors += nowOrTotal(item.statistics).currentErrors;
      if (item.statistics.failed) errorRows.push(...(await this.errorRows(tenantId, item.id)));
    }
    stats.messagesPerSecond = messagesPerSecond(stats.copied, stats.durationMs);
    stats.errorsByReason = errorsByReason(errorRows).slice(0, TOP_REASONS);
    return stats;
  }

  /** One item's statistics: totals and rate, the last run, per-folder counts, its errors by reason. */
  async item(item: Item) {
    return {
      ...item.statistics,
      messagesPerSecond: messagesPerSecond(item.statistics.copied, item.statistics.durationMs),
      lastRun: item.lastRun,
      folders: item.progress?.folders ?? [],
      errorsByReason: errorsByReason(await this.errorRows(item.tenantId, item.id)),
    };
  }

  /** One row per item, in the columns admins paste into a spreadsheet. */
  async projectCsv(tenantId: string, projectId: string): Promise<string> {
    const rows = (await this.items(tenantId, projectId)).map((item) => [
      item.sourceAddress,
      item.destinationAddress,
      item.status,
      item.statistics.passes,
      item.statistics.folders,
      item.statistics.copied,
      item.statistics.skipped,
      item.statistics.failed,
      item.statistics.bytes,
      Math.round(item.statistics.durationMs / 1000),
      item.lastRun?.kind ?? '',
      item.lastRun?.reason ?? '',
      nowOrTotal(item.statistics).messagesAtDestination,
      nowOrTotal(item.statistics).currentErrors,
    ]);
    return `${[CSV_COLUMNS, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
  }

  private errorRows(tenantId: string, itemId: string): Promise<ErrorRow[]> {
    return listAll((cursor) => this.deps.store.errors.list(tenantId, itemId, { cursor, limit: ERROR_PAGE_SIZE }));
  }

  private items(tenantId: string, projectId: string): Promise<Item[]> {
    return projectItems(this.deps.store, tenantId, projectId);
  }
}

/** Error rows grouped by (code, reason), most frequent first. */
function errorsByReason(rows: ErrorRow[]): ReasonCount[] {
  const reasons = new Map<string, ReasonCount>();
  for (const row of rows) {
    const key = `${row.code}\u0000${row.reason}`;
    const entry = reasons.get(key) ?? { code: row.code, reason: row.reason, count: 0 };
    entry.count++;
    reasons.set(key, entry);
  }
  return [...reasons.values()].sort((a, b) => b.count - a.count);
}

function csvField(value: string | number): string {
  const text = String(value);
  // A leading =, +, - or @ would run as a formula in a spreadsheet (CSV injection); so would one
  // after a leading TAB or CR, which Excel and LibreOffice skip (OWASP's list). Reasons come
  // from mail servers' own words, so a hostile server chooses them.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
