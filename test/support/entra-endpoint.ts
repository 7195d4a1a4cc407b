/**
 * A local Microsoft Entra token endpoint on https://127.0.0.1 that the real `@azure/msal-node`
 * talks to (see ./entra.ts for why HTTPS and how to trust its runtime certificate), shared by
 * the EWS and Graph test servers. Each server names the one resource it serves (`aud`, the
 * `/.default` scope's prefix) and the roles an app gets when it names none.
 *
 * v2.0 endpoints: GET /{tenant}/v2.0/.well-known/openid-configuration, GET
 * /{tenant}/discovery/v2.0/keys, POST /{tenant}/oauth2/v2.0/devicecode and POST
 * /{tenant}/oauth2/v2.0/token with the grants of ./entra-grants.ts (client credentials with a
 * secret or a certificate, device code, refresh token). Errors follow Entra's JSON shape
 * (`error`, `error_description` with an AADSTS code).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestIssuer } from './entra.js';
import { EntraError, GrantState, type TokenApp, type TokenEndpointOptions } from './entra-grants.js';

export type { TokenApp, TokenEndpointOptions } from './entra-grants.js';

const HTTP_OK = 200;
const HTTP_NOT_FOUND = 404;
const CERT_DAYS = 2;

export interface TokenEndpoint {
  /** `https://127.0.0.1:PORT/{tenant}` — msal-node's `authority`. */
  authority: string;
  /** `https://127.0.0.1:PORT/{tenant}/oauth2/v2.0/token`. */
  tokenUrl: string;
  /** `127.0.0.1:PORT` — msal-node's `knownAuthorities` entry. */
  host: string;
  /** The self-signed certificate (PEM) and a file holding it (for NODE_EXTRA_CA_CERTS). */
  caPem: string;
  caFile: string;
  /** The openid-configuration document, for msal-node's `authorityMetadata` option (JSON.stringify it). */
  openIdConfiguration: Record<string, unknown>;
  /** Tokens issued so far. */
  issued: number;
  /** The user codes of device-code sign-ins waiting for a user. */
  pendingDeviceCodes(): string[];
  /** A user signs in and consents for a device code (what the admin does at the verification URL). */
  approveDeviceCode(userCode: string, upn: string): void;
  declineDeviceCode(userCode: string): void;
  /** Revokes the refresh tokens of `upn` (or all): the next refresh is refused with invalid_grant. */
  revokeRefreshTokens(upn?: string): void;
  /**
   * Ends the lifetime of these refresh tokens (Entra ID gives each its own; a refresh hands out a
   * new one): redeeming one is refused with invalid_grant AADSTS700082, the tokens issued since stay good.
   */
  expireRefreshTokens(tokens: string[]): void;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (subjectAltName IP and DNS), made with openssl. */
function selfSignedCert(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(CERT_DAYS),
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function entraError(res: ServerResponse, err: EntraError): void {
  json(res, err.status, {
    error: err.error,
    error_description: err.message,
    error_codes: [Number(/AADSTS(\d+)/.exec(err.message)?.[1] ?? 0)],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

async function form(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startTokenEndpoint(issuer: TestIssuer, apps: TokenApp[], options: TokenEndpointOptions): Promise<TokenEndpoint> {
  const dir = mkdtempSync(join(tmpdir(), 'entra-token-'));
  const { key, cert, certFile } = selfSignedCert(dir);
  const tenant = issuer.tenantId;
  let base = '';
  const config = (): Record<string, unknown> => ({
    token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/${tenant}/v2.0`,
    authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
  });
  const grants = new GrantState(issuer, apps, options, () => `${base}/${tenant}`);

  const names = new Set([tenant, ...(options.domains ?? [])].map((n) => n.toLowerCase()));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const asked = (req.url ?? '').split('?')[0]!;
    // Entra ID takes the tenant's id or any of its domains; what it answers names the id.
    const [, first = '', ...rest] = asked.split('/');
    if (!names.has(first.toLowerCase())) {
      return entraError(
        res,
        new EntraError(
          400,
          'invalid_tenant',
          `AADSTS90002: Tenant '${first}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        ),
      );
    }
    const path = `/${[tenant, ...rest].join('/')}`;
    if (
      req.method === 'GET' &&
      (path === `/${tenant}/v2.0/.well-known/openid-configuration` || path === `/${tenant}/.well-known/openid-configuration`)
    ) {
      return json(res, HTTP_OK, config());
    }
    if (req.method === 'GET' && path === `/${tenant}/discovery/v2.0/keys`) return json(res, HTTP_OK, { keys: [issuer.publicJwk] });
    if (req.method === 'POST' && path === `/${tenant}/oauth2/v2.0/devicecode`)
      return json(res, HTTP_OK, grants.deviceCode(await form(req)));
    if (req.method === 'POST' && path === `/${tenant}/oauth2/v2.0/token`)
      return json(res, HTTP_OK, await grants.token(await form(req), req.headers.authorization));
    json(res, HTTP_NOT_FOUND, { error: 'not_found', error_description: `No route ${req.method} ${path}` });
  };
  const server = createHttpsServer({ key, cert }, (req, res) => {
    handle(req, res).catch((err: unknown) =>
      entraError(res, err instanceof EntraError ? err : new EntraError(400, 'server_error', String(err))),
    );
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', r));
  const { port: bound } = server.address() as AddressInfo;
  base = `https://127.0.0.1:${bound}`;
  return {
    authority: `${base}/${tenant}`,
    tokenUrl: `${base}/${tenant}/oauth2/v2.0/token`,
    host: `127.0.0.1:${bound}`,
    caPem: cert,
    caFile: certFile,
    openIdConfiguration: config(),
    get issued() {
      return grants.issued;
    },
    pendingDeviceCodes: () => grants.pendingDeviceCodes(),
    approveDeviceCode: (userCode, upn) => grants.settleDeviceCode(userCode, upn),
    declineDeviceCode: (userCode) => grants.settleDeviceCode(userCode, undefined),
    revokeRefreshTokens: (upn) => grants.revokeRefreshTokens(upn),
    expireRefreshTokens: (tokens) => grants.expireRefreshTokens(tokens),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
