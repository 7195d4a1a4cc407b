/**
 * An independent Graph client for the Graph test server's own tests: the real msal-node for the
 * app-only token (as the EWS server's tests do) and plain fetch, nothing from the server's code.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { trustingNetworkClient } from '../support/entra.js';
import type { GraphTestServer } from '../support/graph/index.js';

export interface GraphResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestGraphClient {
  token: string;
  call<T = Record<string, unknown>>(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<GraphResponse<T>>;
  /** The primaryMailboxId looked up as a client must. */
  mailboxId(upn: string): Promise<string>;
}

export async function appToken(server: GraphTestServer, clientId: string, secret: string): Promise<string> {
  const endpoint = server.tokenEndpoint;
  const cca = new ConfidentialClientApplication({
    auth: { clientId, clientSecret: secret, authority: endpoint.authority, knownAuthorities: [endpoint.host] },
    system: { networkClient: trustingNetworkClient(endpoint.caPem) },
  });
  const result = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
  if (!result) throw new Error('no token');
  return result.accessToken;
}

/** `path` is relative to graphUrl (`/v1.0/…`) or an absolute link the server returned. */
export function graphClient(server: GraphTestServer, token: string): TestGraphClient {
  const call = async <T>(
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<GraphResponse<T>> => {
    const headers: Record<string, string> = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(path.startsWith('http') ? path : `${server.graphUrl}${path}`, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // not JSON (MIME from $value): the text itself
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
  return {
    token,
    call,
    async mailboxId(upn) {
      const r = await call<{ primaryMailboxId: string }>(`/v1.0/users/${encodeURIComponent(upn)}/settings/exchange`);
      if (r.status !== 200) throw new Error(`settings/exchange for ${upn}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.primaryMailboxId;
    },
  };
}

export function mime(subject: string, body = 'Hello.\r\n', date = 'Mon, 01 Jun 2026 10:00:00 +0000'): Buffer {
  return Buffer.from(
    `From: Carol <carol@example.org>\r\nTo: alice@contoso.com\r\nSubject: ${subject}\r\nDate: ${date}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}
