import type { Pass, Project } from '../model.js';

/** One row of the pass's error log grouped by reason, as StatisticsService reports them. */
export interface ErrorReasonCount {
  code: string;
  reason: string;
  count: number;
}

export interface PassEndedNotice {
  project: Project;
  /** The ended pass; its `summary` is what the notice reports. */
  pass: Pass;
  /** Most frequent first is not required: the card sorts and keeps the top few. */
  topErrors: ErrorReasonCount[];
  /** Where "Open in Mailferry" leads; overrides a Teams tab deep link built from configuration. */
  tabUrl?: string;
}

/**
 * Tells people outside Mailferry that something happened (a Teams channel today). Rejects with a
 * MailferryError; callers that must not fail because of a notice (settling a pass) catch it.
 */
export interface Notifier {
  notifyPassEnded(notice: PassEndedNotice): Promise<void>;
}
