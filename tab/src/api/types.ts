/**
 * Shapes the console reads from /api/v1. The domain types come from the API's own model (type
 * imports only, so nothing of the server is bundled); the few response views whose server
 * definitions pull in server-only modules are restated here.
 */
import type { EndpointCheck } from '../../../api/core/connector';
import type { Counts, FolderCounts, Item, ItemStatus, ItemType, PassKind, Pass } from '../../../api/core/model';
import type { ProjectItemCounts, PublicEndpoint, PublicItem, PublicProject } from '../../../api/core/services/public-views';

export type { Counts, ItemStatus, ItemType, PassKind, Pass };

export { ITEM_STATUSES } from '../../../api/core/model';

export type { ProjectItemCounts, PublicEndpoint, PublicItem, PublicProject };

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export type { EndpointCheck };
export interface ValidationResult {
  ok: boolean;
  checks: EndpointCheck[];
}

export interface ProgressRow {
  id: string;
  sourceAddress: string;
  status: ItemStatus;
  reason?: string;
  progress?: Counts & { foldersDone: number; foldersTotal: number; currentFolder?: string; messagesPerSecond: number };
}
export interface ProjectProgress {
  items: ProgressRow[];
  totals: Record<string, number>;
}

export interface CsvProblem {
  line: number;
  column: string;
  message: string;
}
export interface BulkAddReport {
  added: number;
  problems: CsvProblem[];
}

/** Change Domain's answer: how many addresses it rewrote (items already on the new domain are left alone). */
export interface ChangeDomainResult {
  changed: number;
}

/** "Notify users" and credential-link resends: one row per item; 207 when some failed. */
export interface DeliveryResult {
  itemId: string;
  address?: string;
  status: 'sent' | 'failed';
  reason?: string;
}
export interface DeliveryReport {
  sent: number;
  failed: number;
  results: DeliveryResult[];
}

export interface StartPassResult {
  pass: Pass;
  accepted: string[];
  refused: { itemId: string; sourceAddress: string; reason: string }[];
}

export interface ReasonCount {
  code: string;
  reason: string;
  count: number;
}
/** The server's own shape: the console shows what the API sends, with nothing redeclared. */
export type { ProjectStatistics } from '../../../api/core/services/statistics-service';
export interface ItemStatisticsView extends Counts {
  passes: number;
  durationMs: number;
  messagesPerSecond: number;
  lastRun?: Item['lastRun'];
  folders: FolderCounts[];
  errorsByReason: ReasonCount[];
}
export interface ErrorRow {
  passId: string;
  folder: string;
  sourceKey: string;
  subject?: string;
  size?: number;
  code: string;
  reason: string;
  at: string;
}

export type { CredentialRequestView, SubmitResult } from '../../../api/core/end-user/end-user-views';
