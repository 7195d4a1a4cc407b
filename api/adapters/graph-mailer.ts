/**
 * Mailer over Microsoft Graph `sendMail`: the Azure build's way to e-mail end users from a
 * tenant mailbox (app permission Mail.Send). The token comes from an injected `getToken()` so
 * this file stays free of @azure/identity; the base URL is configurable so tests can point it
 * at a local HTTP server.
 */
import { AuthError, ConnectionError, MailferryError, ThrottledError, ValidationError, ensureError } from '../core/errors.js';
import type { MailMessage, Mailer } from '../core/ports.js';
import { classifyHttpStatus, parseRetryAfterMs } from '../core/retry/index.js';

export const GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';

export interface GraphMailerConfig {
  /** The mailbox the messages are sent from (UPN or object id), e.g. migration@contoso.com. */
  sender: string;
  /** A bearer token for https://graph.microsoft.com with Mail.Send. */
  getToken(): Promise<string>;
  /** Default GRAPH_BASE_URL; tests use a local server. */
  baseUrl?: string;
  /** Keep a copy in the sender's Sent Items (Graph's own default is true). */
  saveToSentItems?: boolean;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** Graph answers sendMail within seconds; a minute means the request is lost. */
const REQUEST_TIMEOUT_MS = 60_000;
const MS_PER_SECOND = 1_000;
/** When Graph throttles without Retry-After, wait this long (Graph's guidance: back off, then retry). */
const DEFAULT_RETRY_AFTER_MS = 10_000;
const HTTP_BAD_REQUEST = 400;
const HTTP_NOT_FOUND = 404;
/** Error bodies are quoted into messages; keep them readable. */
const MAX_ERROR_TEXT_CHARS = 300;

export class GraphMailer implements Mailer {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly config: GraphMailerConfig) {
    this.baseUrl = (config.baseUrl ?? GRAPH_BASE_URL).replace(/\/+$/, '');
    this.fetch = config.fetch ?? globalThis.fetch;
  }

  async send(message: MailMessage): Promise<void> {
    const url = `${this.baseUrl}/users/${encodeURIComponent(this.config.sender)}/sendMail`;
    const token = await this.config.getToken();
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(sendMailBody(message, this.config.saveToSentItems ?? false)),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = ensureError(error);
      throw new ConnectionError(`Microsoft Graph could not be reached to send mail to ${message.to}: ${cause.message}`, { cause: error });
    }
    if (response.ok) return; // 202 Accepted: Graph queued the message.
    throw await this.toMailferryError(response, message.to);
  }

  private async toMailferryError(response: Response, recipient: string): Promise<MailferryError> {
    const { status } = response;
    const detail = await graphErrorText(response);
    const said = detail ? ` Graph said: "${detail}".` : '';
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
    const kind = classifyHttpStatus(status, retryAfterMs !== undefined);
    if (kind === 'throttled') {
      const waitMs = retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
      return new ThrottledError(
        `Microsoft Graph is throttling sendMail (HTTP ${status}); retry in ${Math.ceil(waitMs / MS_PER_SECOND)} s.`,
        waitMs,
      );
    }
    if (kind === 'auth') {
      return new AuthError(
        `Microsoft Graph refused to send mail as ${this.config.sender} (HTTP ${status}).${said} Grant the app the Mail.Send application permission (with admin consent) and check that the sender mailbox exists.`,
      );
    }
    if (status === HTTP_BAD_REQUEST || status === HTTP_NOT_FOUND) {
      return new ValidationError(`Microsoft Graph rejected the message to ${recipient} (HTTP ${status}).${said}`, {
        field: status === HTTP_NOT_FOUND ? 'sender' : 'to',
      });
    }
    if (kind === 'transient') return new ConnectionError(`Microsoft Graph failed to send mail (HTTP ${status}).${said}`);
    return new MailferryError('internal', `Microsoft Graph answered sendMail with HTTP ${status}.${said}`);
  }
}

/** The request body of https://learn.microsoft.com/graph/api/user-sendmail (JSON form). */
export function sendMailBody(message: MailMessage, saveToSentItems: boolean): unknown {
  return {
    message: {
      subject: message.subject,
      // Graph carries one body; the HTML alternative wins when there is one.
      body: message.html ? { contentType: 'HTML', content: message.html } : { contentType: 'Text', content: message.text },
      toRecipients: [{ emailAddress: { address: message.to } }],
    },
    saveToSentItems,
  };
}

async function graphErrorText(response: Response): Promise<string | undefined> {
  try {
    const text = await response.text();
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      const { code, message } = parsed.error ?? {};
      if (code || message) return [code, message].filter(Boolean).join(': ').slice(0, MAX_ERROR_TEXT_CHARS);
    } catch {
      // Not JSON (a gateway's HTML page): quote the start of it.
    }
    return text.trim().slice(0, MAX_ERROR_TEXT_CHARS) || undefined;
  } catch {
    return undefined;
  }
}
