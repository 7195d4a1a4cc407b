/**
 * The Adaptive Card a Teams channel gets when a pass ends. The layout lives in
 * pass-ended-card.json (edit it in the Adaptive Cards Designer); this file only computes the
 * data it binds and keeps the message inside Teams' size limit.
 */
import { createRequire } from 'node:module';
import type * as ACDataModule from 'adaptivecards-templating';
import { MailferryError, ValidationError } from '../errors.js';
import type { PassSummary } from '../model.js';
// Imported rather than read from disk so tsc copies it next to the compiled file (dist/api/…).
import passEndedTemplate from './pass-ended-card.json' with { type: 'json' };
import { formatBytes, formatCount, formatDuration } from '../human-units.js';
import type { ErrorReasonCount, PassEndedNotice } from '../ports.js';
import { passEndedTitle } from './pass-kind-labels.js';
import { plainCardText } from './card-text.js';
import { openInMailferryUrl, type TeamsTabLink } from './tab-deep-link.js';
import {
  TEAMS_MESSAGE_MAX_BYTES,
  serializedBytes,
  teamsCardMessage,
  type AdaptiveCardJson,
  type TeamsCardMessage,
} from './teams-message.js';

/** A card is a glance, not a report: the statistics page has the full list. */
export const MAX_ERROR_REASONS = 5;
/** Long enough for an Exchange or IMAP server's sentence, short enough to scan. */
export const ERROR_REASON_MAX_CHARS = 200;
/** Matches the longest project name the API accepts (schemas.ts). */
export const PROJECT_NAME_MAX_CHARS = 200;
/** Shrinking stops here: a shorter name would no longer identify the project. */
const PROJECT_NAME_MIN_CHARS = 24;

export interface PassCardOptions {
  /** Builds the "Open in Mailferry" deep link when the notice carries no `tabUrl`. */
  tabLink?: TeamsTabLink;
  /** Defaults to Teams' limit; lower only in tests. */
  maxMessageBytes?: number;
}

interface Limits {
  reasons: number;
  projectNameChars: number;
}

/**
 * The webhook body for a pass-ended notice, at most `maxMessageBytes` when serialized. Over the
 * limit it drops error reasons (least frequent first), then shortens the project name; if the
 * card still cannot fit (an enormous tab URL), it throws rather than let Teams reject it.
 */
export function buildPassEndedMessage(notice: PassEndedNotice, options: PassCardOptions = {}): TeamsCardMessage {
  const maxBytes = options.maxMessageBytes ?? TEAMS_MESSAGE_MAX_BYTES;
  const summary = notice.pass.summary;
  if (!summary) throw new ValidationError(`Pass ${notice.pass.id} has not ended: it has no summary to report.`, { field: 'pass' });
  const tabUrl = openInMailferryUrl(notice.project.id, notice.tabUrl, options.tabLink);
  const reasons = topReasons(notice.topErrors);
  const limits: Limits = { reasons: reasons.length, projectNameChars: PROJECT_NAME_MAX_CHARS };
  for (;;) {
    const message = teamsCardMessage(expandCard(notice, summary, reasons.slice(0, limits.reasons), limits, tabUrl));
    const bytes = serializedBytes(message);
    if (bytes <= maxBytes) return message;
    if (limits.reasons > 0) limits.reasons--;
    else if (limits.projectNameChars > PROJECT_NAME_MIN_CHARS)
      limits.projectNameChars = Math.max(PROJECT_NAME_MIN_CHARS, Math.floor(limits.projectNameChars / 2));
    else {
      throw new MailferryError(
        'too-large',
        `The pass card for project ${notice.project.id} is ${bytes} bytes even without error reasons; Teams accepts at most ${maxBytes}. Check the length of the Mailferry tab URL.`,
      );
    }
  }
}

/** Most frequent first; ties keep the caller's order so the card is stable between runs. */
function topReasons(errors: ErrorReasonCount[]): ErrorReasonCount[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => b.error.count - a.error.count || a.index - b.index)
    .slice(0, MAX_ERROR_REASONS)
    .map(({ error }) => error);
}

function expandCard(
  notice: PassEndedNotice,
  summary: PassSummary,
  reasons: ErrorReasonCount[],
  limits: Limits,
  tabUrl: string | undefined,
): AdaptiveCardJson {
  const data = {
    title: passEndedTitle(notice.pass.kind, notice.pass.status),
    projectName: plainCardText(notice.project.name, limits.projectNameChars),
    completed: formatCount(summary.completed),
    completedWithErrors: formatCount(summary.completedWithErrors),
    failedItems: formatCount(summary.failedItems),
    stopped: formatCount(summary.stopped),
    copied: formatCount(summary.copied),
    failedMessages: formatCount(summary.failed),
    bytes: formatBytes(summary.bytes),
    duration: formatDuration(summary.durationMs),
    errors: reasons.map((r) => ({ occurrences: formatCount(r.count), reason: plainCardText(reasonWithCode(r), ERROR_REASON_MAX_CHARS) })),
    hasTabUrl: tabUrl !== undefined,
    tabUrl: tabUrl ?? '',
  };
  // A fresh Template per expansion: the engine must never see a previous call's state.
  return new (templating().Template)(passEndedTemplate).expand({ $root: data }) as AdaptiveCardJson;
}

let templatingModule: typeof ACDataModule | undefined;
/**
 * adaptivecards-templating (with adaptive-expressions) adds ~30 MB to a process that loads it: a
 * worker that never ends a pass with a card configured never pays for it.
 */
function templating(): typeof ACDataModule {
  templatingModule ??= createRequire(import.meta.url)('adaptivecards-templating') as typeof ACDataModule;
  return templatingModule;
}

/** The code tells support which failure family it is when the server's words are vague. */
function reasonWithCode(error: ErrorReasonCount): string {
  return error.code ? `${error.reason} (${error.code})` : error.reason;
}
