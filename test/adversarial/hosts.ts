/**
 * The two real faces of the API the suite attacks, behind one `send`: the embedded host over
 * HTTP on loopback (api/local) and the Azure Functions handler called with real HttpRequest
 * objects and Entra ID tokens from the local test issuer (api/functions). Every answer and every
 * log line goes to the secret scanner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { azureHost } from '../../api/functions/azure-host.js';
import { createHttpHandler } from '../../api/functions/http-handler.js';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { TEST_AUDIENCE, type TestIssuer } from '../support/test-issuer.js';
import { captureResponse, sendRaw, type RawRequest, type RawResponse } from './http-probe.js';
import type { SecretScanner } from './secret-scan.js';

export interface HostUnderAttack {
  name: string;
  dataDir: string;
  send(req: RawRequest): Promise<RawResponse>;
  /** JSON in, parsed JSON out, for setting up the world the attacks aim at. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

function withCall(host: Omit<HostUnderAttack, 'call'>): HostUnderAttack {
  return {
    ...host,
    async call(method, path, body, headers = {}) {
      const res = await host.send({
        method,
        path: `/api/v1${path}`,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: res.text ? JSON.parse(res.text) : undefined };
    },
  };
}

export async function startEmbeddedHost(
  scanner: SecretScanner,
): Promise<HostUnderAttack & { runtime: EmbeddedRuntime; server: Server; url: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailferry-adversarial-'));
  const runtime = await EmbeddedRuntime.open({ dataDir, log: scanner.log('embedded log') });
  const { server, url } = await startHttpServer(runtime.services, { port: 0 });
  const host = withCall({
    name: 'embedded host',
    dataDir,
    async send(req) {
      const res = await sendRaw(url, req);
      captureResponse(scanner, `embedded ${req.method} ${req.path.slice(0, 80)}`, res);
      return res;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
  return { ...host, runtime, server, url };
}

export const AZURE_BASE_URL = 'https://mailferry.azurewebsites.net';

/** Sends as the holder of `token()` unless the request sets its own authorization header. */
export async function startAzureHost(
  scanner: SecretScanner,
  issuer: TestIssuer,
  token: () => string,
  tenants: { served: string[]; owners: [tenantId: string, objectId: string][] },
): Promise<HostUnderAttack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailferry-adversarial-azure-'));
  const env = {
    MAILFERRY_ENTRA_AUDIENCES: TEST_AUDIENCE,
    MAILFERRY_ENTRA_JWKS_URI: issuer.jwksUri,
    MAILFERRY_DATA: dataDir,
    MAILFERRY_STORE: 'sqlite',
    MAILFERRY_ALLOWED_TENANTS: tenants.served.join(','),
    MAILFERRY_TENANT_OWNERS: tenants.owners.map((pair) => pair.join(':')).join(','),
    // End-user links on: the Graph mailer asks the managed identity for a token only when it sends.
    MAILFERRY_MAIL_SENDER: 'mailferry@contoso.test',
    MAILFERRY_PUBLIC_URL: 'https://mailferry.contoso.test',
  };
  const handler = createHttpHandler(() => azureHost(env));
  const context = () =>
    new InvocationContext({
      functionName: 'api',
      logHandler: (level, ...args) => scanner.capture(`azure context ${level}`, args.map(String).join(' ')),
    });
  return withCall({
    name: 'Azure handler',
    dataDir,
    async send(req) {
      const headers = { authorization: `Bearer ${token()}`, ...req.headers };
      const init = await handler(
        new HttpRequest({
          method: req.method,
          url: `${AZURE_BASE_URL}${req.path}`,
          headers,
          body: req.body === undefined ? undefined : typeof req.body === 'string' ? { string: req.body } : { bytes: req.body },
        }),
        context(),
      );
      const res: RawResponse = {
        status: init.status ?? 200,
        headers: Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v])),
        text: init.body === undefined ? '' : String(init.body),
      };
      captureResponse(scanner, `azure ${req.method} ${req.path.slice(0, 80)}`, res);
      return res;
    },
    async close() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
