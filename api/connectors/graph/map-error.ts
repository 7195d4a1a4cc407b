/**
 * Graph's error answers (`{"error": {"code", "message", "innerError"}}` with an HTTP status) →
 * Mailferry's typed errors, each saying what to do. A refused permission names the permission to
 * grant; per-item errors (exportItems values, one importItem) become error rows, never throws.
 */
import {
  AuthError,
  ConnectionError,
  ForbiddenError,
  ItemRejectedError,
  ItemTooLargeError,
  MailferryError,
  NotFoundError,
} from '../../core/errors.js';
import { grantAdvice } from './permissions.js';

export interface GraphFailure {
  status: number;
  code: string;
  message: string;
}

/** What a request was for, in an admin's words, and the permission it needs (for a 403's advice). */
export interface GraphAction {
  /** e.g. `Listing the folders of alice@contoso.com`. Never a URL: an importUrl carries a token. */
  action: string;
  permission?: string;
}

/** The body of a Graph error answer, whatever it held. */
export function failureOf(status: number, body: unknown): GraphFailure {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    status,
    code: typeof error?.code === 'string' ? error.code : `HTTP ${status}`,
    message: typeof error?.message === 'string' ? error.message.slice(0, 500) : '',
  };
}

const TOO_LARGE = new Set(['ErrorMessageSizeExceeded', 'RequestEntityTooLarge', 'ErrorRequestEntityTooLarge']);
/** Graph's answers to a delta link it no longer keeps (410 Gone, or these codes): list again from scratch. */
const DELTA_EXPIRED = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);

/** A delta link Graph no longer knows: the listing starts again from scratch, nothing is lost. */
export class DeltaExpiredError extends MailferryError {
  constructor(message: string) {
    super('not-found', message);
  }
}

export function graphError(failure: GraphFailure, { action, permission }: GraphAction, clientId?: string): MailferryError {
  const said = `${failure.code}${failure.message ? `: ${failure.message}` : ''}`;
  const context = `${action}: Microsoft Graph answered HTTP ${failure.status} (${said})`;
  if (failure.status === 410 || DELTA_EXPIRED.has(failure.code.toLowerCase())) return new DeltaExpiredError(`${context}.`);
  if (failure.status === 401) {
    return new AuthError(
      `${context}. The app's token was refused: check the tenant id, the client id and secret, and that admin consent was granted.`,
    );
  }
  if (failure.status === 403) {
    return new ForbiddenError(
      `${context}. ${permission ? grantAdvice(permission, clientId) : "Check the app's Microsoft Graph application permissions and admin consent."}`,
    );
  }
  if (failure.status === 404) return new NotFoundError(`${context}.`);
  if (failure.status === 413 || TOO_LARGE.has(failure.code)) return new ItemTooLargeError(`${context}.`);
  if (failure.status >= 500) return new ConnectionError(`${context}.`);
  if (failure.status === 400 || failure.status === 409 || failure.status === 422) return new ItemRejectedError(`${context}.`);
  return new MailferryError('internal', `${context}.`);
}

/** A per-item error value from exportItems: a row in the error log. */
export function exportItemError(error: { code?: string; message?: string }, itemId: string): MailferryError {
  const said = `${error.code ?? 'Error'}${error.message ? `: ${error.message}` : ''}`;
  if (error.code === 'ErrorItemNotFound')
    return new NotFoundError(`Exporting the item: it is gone (${said}); it was moved or deleted since it was listed.`);
  if (error.code && TOO_LARGE.has(error.code)) return new ItemTooLargeError(`Exporting the item: ${said}.`);
  return new ItemRejectedError(`Exporting item ${itemId.slice(0, 24)}…: ${said}.`);
}
