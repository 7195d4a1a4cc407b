/**
 * The tab's static files and the Azure Functions HTTP handler (api/functions) behind one HTTPS
 * origin, as Teams reaches them: Teams frames only https pages of the manifest's validDomains.
 * The handler gets real @azure/functions HttpRequest objects, as the Functions host gives it; the
 * Entra ID settings point at the local test issuer. In Azure the static site and the Function App
 * are two origins joined by CORS (infra/main.bicep); here they share one, which changes nothing
 * the tab or the handler does (the tab calls a relative /api/v1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { buildAzureHost } from '../../../api/functions/azure-host.js';
import { createHttpHandler } from '../../../api/functions/http-handler.js';
import { serveStatic } from '../../../api/local/static-files.js';
import { makeAppCertificate } from '../../support/app-certificates.js';
import type { TestIssuer } from '../../support/test-issuer.js';

export interface FunctionsSite {
  port: number;
  /** The handler itself, for setting up data as a given user without a browser. */
  call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  /** Every API request that reached the handler, with whether it carried a bearer token. */
  requests: { method: string; path: string; bearer: boolean; status: number }[];
  close(): Promise<void>;
}

export interface FunctionsSiteOptions {
  staticDir: string;
  issuer: TestIssuer;
  /** MAILFERRY_ENTRA_AUDIENCES: the API app's client id (the manifest's webApplicationInfo.id). */
  audience: string;
  /** tenant id → owner's object id (MAILFERRY_TENANT_OWNERS); every tenant listed is served. */
  owners: Record<string, string>;
  /** Listen here (the manifest names the port in TAB_DOMAIN), or on a free port. */
  port?: number;
}

export async function startFunctionsSite(options: FunctionsSiteOptions): Promise<FunctionsSite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailferry-functions-site-'));
  const host = buildAzureHost({
    MAILFERRY_ENTRA_AUDIENCES: options.audience,
    MAILFERRY_ENTRA_JWKS_URI: options.issuer.jwksUri,
    MAILFERRY_DATA: dataDir,
    MAILFERRY_STORE: 'sqlite',
    MAILFERRY_ALLOWED_TENANTS: Object.keys(options.owners).join(','),
    MAILFERRY_TENANT_OWNERS: Object.entries(options.owners)
      .map((pair) => pair.join(':'))
      .join(','),
  });
  host.catch(() => undefined); // a bad setting fails the first call, with its message, not the process
  const handler = createHttpHandler(() => host);
  const requests: FunctionsSite['requests'] = [];
  const invoke = async (method: string, url: string, headers: Record<string, string>, body: Buffer | undefined) => {
    const init = await handler(
      new HttpRequest({ method, url, headers, body: body?.length ? { bytes: body } : undefined }),
      new InvocationContext({ functionName: 'api' }),
    );
    return {
      status: init.status ?? 200,
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body === undefined ? undefined : String(init.body),
    };
  };

  const { certPem, keyPem } = makeAppCertificate({ commonName: 'mailferry.contoso.test' });
  const server: Server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${req.headers.host}`);
    if (!url.pathname.startsWith('/api/')) return void serveStatic(req, res, url.pathname, options.staticDir);
    void (async () => {
      const answer = await invoke(req.method ?? 'GET', url.href, flatHeaders(req), await readBody(req));
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        bearer: /^Bearer /.test(req.headers.authorization ?? ''),
        status: answer.status,
      });
      res.writeHead(answer.status, answer.headers).end(answer.body);
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    requests,
    async call(token, method, path, body) {
      const answer = await invoke(
        method,
        `https://mailferry.contoso.test:${port}/api/v1${path}`,
        {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      );
      return { status: answer.status, json: answer.body ? JSON.parse(answer.body) : undefined };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
