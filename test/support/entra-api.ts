/**
 * The HTTP API over real HTTP behind Entra-shaped sign-in: an embedded runtime (SQLite, file
 * vault) served by the loopback server with an EntraAuthenticator that trusts the test issuer.
 * For tests about who may do what with several users and tenants.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectorOverrides } from '../../api/connectors/registry.js';
import { EntraAuthenticator, type EntraConfig } from '../../api/http/auth/entra-authenticator.js';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import type { Json } from './json-answer.js';
import { startTestIssuer, TEST_AUDIENCE, type TestIssuer } from './test-issuer.js';

export interface ApiAnswer {
  status: number;
  json: Json;
  text: string;
}

export interface EntraApi {
  issuer: TestIssuer;
  runtime: EmbeddedRuntime;
  base: string;
  /** `token` is a bearer token, or undefined for none. A string body goes as text/csv. */
  call(token: string | undefined, method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  close(): Promise<void>;
}

const QUIET_LOG = { info: () => {}, warn: () => {}, error: () => {} };

export async function startEntraApi(options: {
  tenantOwners: Map<string, string[]>;
  allowedTenants: string[];
  entra?: Partial<EntraConfig>;
  connectors?: ConnectorOverrides;
}): Promise<EntraApi> {
  const issuer = await startTestIssuer();
  const dataDir = mkdtempSync(join(tmpdir(), 'mailferry-entra-api-'));
  const runtime = await EmbeddedRuntime.open({
    dataDir,
    tenantOwners: options.tenantOwners,
    log: QUIET_LOG,
    connectors: options.connectors,
  });
  const authenticator = new EntraAuthenticator({
    audiences: [TEST_AUDIENCE],
    jwksUri: issuer.jwksUri,
    allowedTenants: options.allowedTenants,
    ...options.entra,
  });
  const { server, url: base }: { server: Server; url: string } = await startHttpServer(runtime.services, { port: 0, authenticator });
  return {
    issuer,
    runtime,
    base,
    async call(token, method, path, body) {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = typeof body === 'string' ? 'text/csv' : 'application/json';
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        json: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined,
        text,
      };
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
      await issuer.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
