/**
 * Checks an end user's login and password against the SOURCE mail system through the same
 * connector the copy engine uses, then closes the session at once. The outcome is worded for
 * the end user: what to do next, never a secret and never the admin-facing hints.
 */
import type { MailConnector, MailboxAccess } from '../connector.js';
import { closeQuietly } from '../engine/job-context.js';
import { AuthError, ensureError } from '../errors.js';
import type { Endpoint, EndpointKind } from '../model.js';

/** Longer than the IMAP connector's own connect and greeting timeouts, so theirs speak first. */
export const VERIFY_TIMEOUT_MS = 45_000;

export type LoginCheck =
  | { ok: true }
  /** `counts`: the password was refused (an attempt); otherwise the server could not be asked. */
  | { ok: false; counts: boolean; reason: string };

export async function verifySourceLogin(
  connectorFor: (kind: EndpointKind) => MailConnector,
  source: Endpoint,
  mailbox: string,
  login: string,
  password: string,
): Promise<LoginCheck> {
  // The user's own login: MailboxAccess.login wins over any admin login of the endpoint.
  const access: MailboxAccess = { endpoint: source, mailbox, login, password };
  try {
    const session = await connectorFor(source.kind).open(access, AbortSignal.timeout(VERIFY_TIMEOUT_MS));
    await closeQuietly(session);
    return { ok: true };
  } catch (raw) {
    const error = ensureError(raw);
    if (error instanceof AuthError) {
      return {
        ok: false,
        counts: true,
        reason: `Your current mail server did not accept the login name "${login}" with that password. Check both (passwords are case-sensitive; some servers want the full e-mail address as the login name) and try again.`,
      };
    }
    // Not the user's fault: the server was down or slow, or the endpoint is misconfigured.
    const detail = redact(error.message, password);
    return {
      ok: false,
      counts: false,
      reason: error.retryable
        ? `Your current mail server could not be reached to check the password (${detail}). This try was not counted; try again in a few minutes.`
        : `Your password could not be checked (${detail}). This try was not counted; tell your administrator.`,
    };
  }
}

/** Connector messages never quote a password; this makes sure of it. */
function redact(message: string, password: string): string {
  return password ? message.split(password).join('***') : message;
}
