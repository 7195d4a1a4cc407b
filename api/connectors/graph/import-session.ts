/**
 * Graph's import session: `createImportSession` hands out an `importUrl` that carries its own
 * token (no Authorization header) until `expirationDateTime`. One session serves every import of
 * a mailbox; a new one is opened shortly before it expires, or when the URL is refused as expired.
 * The URL is a credential: it is never logged, never put in an error, never returned.
 */
import { AuthError, ensureError } from '../../core/errors.js';
import { type GraphContext, mailboxPath } from './context.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

interface Session {
  importUrl: string;
  expiresAt: number;
}

/** When Graph does not say how long a session lasts, assume this (and renew on a refusal anyway). */
const ASSUMED_LIFETIME_MS = 30 * 60_000;

export class ImportSessions {
  private current?: Session;
  private opening?: Promise<Session>;
  /** Sessions opened so far (tests: renewal). */
  opened = 0;

  constructor(private readonly ctx: GraphContext) {}

  /** Imports one item: `body` is `{FolderId, Mode, Data}` (or that JSON, whole or in parts written one after another). Returns the new item's id. */
  async importItem(
    body: Record<string, unknown> | Buffer | readonly (Buffer | string)[],
    action: string,
  ): Promise<{ itemId?: string; changeKey?: string }> {
    for (let attempt = 0; ; attempt++) {
      const session = await this.session();
      try {
        const { body: answer } = await this.ctx.transport.send<{ itemId?: string; changeKey?: string }>({
          method: 'POST',
          url: session.importUrl,
          anonymous: true,
          ...(Array.isArray(body) ? { jsonParts: body } : { json: body }),
          action,
          permission: GRAPH_PERMISSIONS.import,
        });
        return answer ?? {};
      } catch (raw) {
        // A refused import URL (expired early, or revoked) processed nothing: open a new session once.
        if (ensureError(raw) instanceof AuthError && attempt === 0) {
          if (this.current === session) this.current = undefined;
          continue;
        }
        throw raw;
      }
    }
  }

  private async session(): Promise<Session> {
    const current = this.current;
    if (current && current.expiresAt - this.ctx.limits.sessionMarginMs > this.ctx.now()) return current;
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async open(): Promise<Session> {
    const { body } = await this.ctx.transport.send<{ importUrl?: string; expirationDateTime?: string }>({
      method: 'POST',
      url: mailboxPath(this.ctx, '/createImportSession'),
      action: `Opening an import session for ${this.ctx.mailbox}`,
      permission: GRAPH_PERMISSIONS.import,
    });
    if (!body?.importUrl)
      throw new AuthError(`Microsoft Graph opened no import session for ${this.ctx.mailbox} (no importUrl in its answer).`);
    const expiresAt = Date.parse(body.expirationDateTime ?? '') || this.ctx.now() + ASSUMED_LIFETIME_MS;
    this.opened++;
    this.current = { importUrl: body.importUrl, expiresAt };
    return this.current;
  }
}
