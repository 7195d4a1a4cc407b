/**
 * The Graph test server's HTTP front door: the `importUrl` (its own `authtoken`, no
 * Authorization header, refused once the session expires), Bearer tokens for Graph routes
 * (`roles` for an app, `scp` and `upn` for a signed-in user), `$batch`, and the wire format of
 * every reply (request-id, client-request-id, Graph's JSON content type).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type TestIssuer, verifyToken } from '../entra.js';
import { runBatch } from './batch.js';
import { type Dispatcher, type ValidationLog, checked, errorReply, parsePath, refusalReply, underLimits } from './dispatch.js';
import type { Caller } from './permissions.js';
import { importItem } from './routes-transfer.js';
import { type Reply, type ServerState, GraphError } from './routing.js';

/** Graph's resource: the `aud` of its tokens and the `/.default` scope's prefix. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const IMPORT_PATH = /^\/api\/gv1\.0\/Mailboxes\('([^']+)'\)\/importItem$/i;
const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

const MAX_VERIFIED_TOKENS = 1000;

/** Whether a verified token is still within its lifetime now (jose's rule: exp > now ≥ nbf, no tolerance). */
function inLifetime(payload: Record<string, unknown>): boolean {
  const now = Math.floor(Date.now() / 1000);
  const { exp, nbf } = payload;
  return typeof exp === 'number' && exp > now && (typeof nbf !== 'number' || nbf <= now);
}

function callerOf(payload: Record<string, unknown>): Caller | string {
  const appId = String(payload['appid'] ?? payload['azp'] ?? '');
  const scp = typeof payload['scp'] === 'string' ? payload['scp'].split(' ').filter(Boolean) : [];
  if (scp.length > 0) {
    const upn = String(payload['upn'] ?? payload['preferred_username'] ?? '');
    if (!upn) return 'A delegated token needs the signed-in user (upn).';
    return { kind: 'user', appId, upn: upn.toLowerCase(), scopes: scp };
  }
  const roles = Array.isArray(payload['roles']) ? payload['roles'].map(String) : [];
  return { kind: 'app', appId, roles };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, reply: Reply, clientRequestId: string | undefined): void {
  const requestId = randomUUID();
  const headers: Record<string, string | number> = {
    'request-id': requestId,
    'client-request-id': clientRequestId ?? requestId,
    ...(reply.headers ?? {}),
  };
  let body: Buffer | undefined;
  if (reply.raw) {
    body = reply.raw;
    headers['Content-Type'] = reply.contentType ?? 'application/octet-stream';
  } else if (reply.json !== undefined) {
    body = Buffer.from(JSON.stringify(reply.json), 'utf8');
    headers['Content-Type'] = JSON_TYPE;
  }
  headers['Content-Length'] = body?.length ?? 0;
  res.writeHead(reply.status, headers);
  res.end(body);
}

/** The request handler of a Graph test server. */
export function frontDoor(
  state: ServerState,
  issuer: TestIssuer,
  log: ValidationLog,
  dispatch: Dispatcher,
): (req: IncomingMessage, res: ServerResponse) => void {
  // Tokens whose signature, issuer, audience and tenant passed, by their exact text: a client sends
  // the same token for an hour, and an RSA verification per request cost the server 4% of its CPU.
  // What depends on the time (exp, nbf) is checked again on every request; an expired one goes
  // through verifyToken again, which answers why.
  const verified = new Map<string, Record<string, unknown>>();
  const authenticate = async (header: string | undefined): Promise<Caller | GraphError> => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!bearer) return new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const token = bearer[1]!;
    let payload = verified.get(token);
    if (!payload || !inLifetime(payload)) {
      verified.delete(token);
      const checkedToken = await verifyToken(issuer, token, GRAPH_RESOURCE);
      if (!checkedToken.ok) return new GraphError(401, 'InvalidAuthenticationToken', checkedToken.reason);
      payload = checkedToken.payload;
      if (verified.size >= MAX_VERIFIED_TOKENS) verified.clear();
      verified.set(token, payload);
    }
    const caller = callerOf(payload);
    return typeof caller === 'string' ? new GraphError(401, 'InvalidAuthenticationToken', caller) : caller;
  };

  const importUrlRequest = async (req: IncomingMessage, url: URL, mailboxId: string): Promise<Reply> => {
    const token = url.searchParams.get('authtoken') ?? '';
    const session = state.sessions.get(token);
    if (!session || session.mailboxId !== mailboxId)
      return errorReply(
        new GraphError(
          401,
          'InvalidAuthenticationToken',
          'The authtoken of this import URL is not valid for this mailbox. Use the importUrl createImportSession returned, unchanged.',
        ),
      );
    if (state.now() >= session.expiresAt) {
      return errorReply(
        new GraphError(
          401,
          'InvalidAuthenticationToken',
          `The import session expired at ${new Date(session.expiresAt).toISOString()}. Create a new one with createImportSession.`,
        ),
      );
    }
    if (req.method !== 'POST') return errorReply(new GraphError(405, 'Request_BadRequest', 'importItem takes POST only.'));
    state.requestLog.push({ method: 'POST', route: 'importItem', mailbox: state.store.mailbox(session.mailboxId).smtp, query: [] });
    const body = await readBody(req);
    const injected = state.throttle.injected();
    if (injected) return refusalReply(injected.status, injected.code, injected.message, injected.retryAfterSeconds);
    return underLimits(state, `${session.appId}|${session.mailboxId}`, body.length, () => {
      try {
        return checked(state, log, 'POST importItem', importItem(state, state.store.mailbox(session.mailboxId), body));
      } catch (err) {
        if (err instanceof GraphError) return errorReply(err);
        throw err;
      }
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const clientRequestId = typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined;
    const importPath = IMPORT_PATH.exec(url.pathname);
    if (importPath) return send(res, await importUrlRequest(req, url, decodeURIComponent(importPath[1]!)), clientRequestId);
    const path = parsePath(url.pathname);
    if (!path)
      return send(
        res,
        errorReply(new GraphError(400, 'BadRequest', `Invalid version: use /v1.0/ or /beta/ (${url.pathname}).`)),
        clientRequestId,
      );
    const caller = await authenticate(req.headers.authorization);
    if (caller instanceof GraphError) return send(res, errorReply(caller), clientRequestId);
    const body = await readBody(req);
    if (path.segments.length === 1 && path.segments[0] === '$batch') {
      if (req.method !== 'POST')
        return send(res, errorReply(new GraphError(405, 'Request_BadRequest', '$batch takes POST only.')), clientRequestId);
      try {
        return send(res, await runBatch(path.version, body, caller, dispatch), clientRequestId);
      } catch (err) {
        if (err instanceof GraphError) return send(res, errorReply(err), clientRequestId);
        throw err;
      }
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    send(
      res,
      await dispatch(
        { method: req.method ?? 'GET', version: path.version, segments: path.segments, query: url.searchParams, headers, body },
        caller,
      ),
      clientRequestId,
    );
  };

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (req.destroyed) return; // the client went away mid-request: nothing to answer
      const why = (err as Error).stack ?? String(err);
      log.responseFailures.push(`server error: ${why}`);
      console.error(`Graph test server crashed on a request — ${why}`);
      if (!res.headersSent) send(res, errorReply(new GraphError(500, 'InternalServerError', 'test server error')), undefined);
    });
  };
}
