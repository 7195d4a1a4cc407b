/**
 * A stand-in for Microsoft Entra ID shared by the EWS and Graph test servers: a test token
 * issuer (a jose RS256 key pair), Entra v1-shaped access tokens, their verification, and a tiny
 * local Entra token endpoint (client-credentials grant) that the real `@azure/msal-node`
 * ConfidentialClientApplication can talk to. Each server names the resource it serves
 * (`aud`, the `/.default` scope's prefix) and the roles an app gets when it names none.
 *
 * msal-node refuses an authority that is not https (msal-common UrlString.validateAsUri →
 * `authority_uri_insecure`), so the token endpoint serves HTTPS with a self-signed certificate
 * made by `openssl` at start. msal-node 7 sends requests with Node's global fetch, which trusts
 * only the built-in CAs plus NODE_EXTRA_CA_CERTS (read once at process start). Two ways in:
 *  - in-process (tests): pass `system: { networkClient: trustingNetworkClient(endpoint.caPem) }`;
 *  - a separate process: start it with `NODE_EXTRA_CA_CERTS=<endpoint.caFile>`.
 * Either way also pass `knownAuthorities: ['127.0.0.1:<port>']` (skips Microsoft's instance
 * discovery at login.microsoftonline.com and makes msal accept the host); msal then GETs
 * `/{tenant}/v2.0/.well-known/openid-configuration` here, or takes `authorityMetadata` if given.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify, errors as joseErrors, type CryptoKey, type JWK } from 'jose';

const DEFAULT_TENANT = '5f1c1b5e-0000-4000-8000-00000000c0de';
export const DEFAULT_TOKEN_LIFETIME_S = 3600;
const HTTP_OK = 200;
const HTTP_BAD_REQUEST = 400;
const HTTP_UNAUTHORIZED = 401;
const HTTP_NOT_FOUND = 404;
const CERT_DAYS = 2;

export interface TestIssuer {
  tenantId: string;
  /** `https://sts.windows.net/{tid}/`, the issuer of Entra v1 access tokens. */
  issuer: string;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function createTestIssuer(tenantId = DEFAULT_TENANT): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  return { tenantId, issuer: `https://sts.windows.net/${tenantId}/`, kid, privateKey, publicKey, publicJwk };
}

export interface TokenClaims {
  /** The calling app's client id (`appid`). */
  appId: string;
  /** App-only: application roles (permissions). */
  roles?: string[];
  /** Delegated: space-separated scopes. */
  scp?: string;
  /** Delegated: the signed-in user (`upn`; `preferred_username` is also set). */
  upn?: string;
  /** The resource the token is for (e.g. https://outlook.office365.com). */
  aud: string;
  /** Seconds from now until `exp` (negative = already expired). */
  expiresIn?: number;
  tenantId?: string;
}

/** Mints an RS256 access token signed by `issuer`, shaped like an Entra v1 access token for `claims.aud`. */
export async function mintToken(issuer: TestIssuer, claims: TokenClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const lifetime = claims.expiresIn ?? DEFAULT_TOKEN_LIFETIME_S;
  const payload: Record<string, unknown> = {
    tid: claims.tenantId ?? issuer.tenantId,
    appid: claims.appId,
    appidacr: '1',
    oid: randomUUID(),
    ver: '1.0',
  };
  if (claims.roles) payload['roles'] = claims.roles;
  if (claims.scp) payload['scp'] = claims.scp;
  if (claims.upn) {
    payload['upn'] = claims.upn;
    payload['preferred_username'] = claims.upn;
    payload['unique_name'] = claims.upn;
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: issuer.kid })
    .setIssuer(issuer.issuer)
    .setAudience(claims.aud)
    .setIssuedAt(Math.min(now, now + lifetime - 1))
    .setNotBefore(Math.min(now, now + lifetime - 1))
    .setExpirationTime(now + lifetime)
    .sign(issuer.privateKey);
}

/** The claims of a token that passed the checks every resource makes. */
export type TokenCheck = { ok: true; payload: Record<string, unknown> } | { ok: false; reason: string; category: string };

/** Verifies signature by the tenant's issuer, lifetime, audience (`resource`, with or without a trailing slash) and tenant. */
export async function verifyToken(issuer: TestIssuer, token: string, resource: string): Promise<TokenCheck> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, issuer.publicKey, { issuer: issuer.issuer, algorithms: ['RS256'] }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'The token has expired.', category: 'invalid_token' };
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { ok: false, reason: 'The token signature is invalid.', category: 'invalid_signature' };
    return { ok: false, reason: `The token is invalid: ${(err as Error).message}`, category: 'invalid_token' };
  }
  const aud = payload['aud'];
  const audOk = [resource, `${resource}/`].some((a) => (Array.isArray(aud) ? aud.includes(a) : aud === a));
  if (!audOk) return { ok: false, reason: `The audience claim value is invalid '${String(aud)}'.`, category: 'invalid_resource' };
  const tenantId = String(payload['tid'] ?? '');
  if (tenantId !== issuer.tenantId) return { ok: false, reason: `The tenant '${tenantId}' is not this organization.`, category: 'invalid_tenant' };
  return { ok: true, payload };
}

export interface TokenApp {
  clientId: string;
  clientSecret: string;
  /** Application roles granted on the resource; the endpoint's `defaultRoles` when absent. */
  roles?: string[];
}

export interface TokenEndpointOptions {
  /** The one resource this endpoint issues tokens for (`aud`; the scope must be `{resource}/.default`). */
  resource: string;
  /** Roles an app without its own `roles` gets. */
  defaultRoles: string[];
  port?: number;
}

/** The subset of msal-common's INetworkModule that msal-node uses. */
export interface NetworkModule {
  sendGetRequestAsync<T>(url: string, options?: { headers?: Record<string, string>; body?: string }, timeout?: number): Promise<{ headers: Record<string, string>; body: T; status: number }>;
  sendPostRequestAsync<T>(url: string, options?: { headers?: Record<string, string>; body?: string }): Promise<{ headers: Record<string, string>; body: T; status: number }>;
}

/** An msal-node `system.networkClient` that trusts `caPem` (the token endpoint's self-signed cert). */
export function trustingNetworkClient(caPem: string): NetworkModule {
  const send = <T>(method: 'GET' | 'POST', url: string, options?: { headers?: Record<string, string>; body?: string }) =>
    new Promise<{ headers: Record<string, string>; body: T; status: number }>((resolveReq, reject) => {
      const req = httpsRequest(url, { method, ca: caPem, headers: { ...(options?.headers ?? {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolveReq({ headers, body: (text ? JSON.parse(text) : {}) as T, status: res.statusCode ?? 0 });
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      if (options?.body) req.write(options.body);
      req.end();
    });
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

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
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (subjectAltName IP and DNS), made with openssl. */
function selfSignedCert(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', String(CERT_DAYS), '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'pipe' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

/**
 * Serves Entra's client-credentials grant for `apps` on https://127.0.0.1 (v2.0 endpoints):
 * GET /{tenant}/v2.0/.well-known/openid-configuration, GET /{tenant}/discovery/v2.0/keys and
 * POST /{tenant}/oauth2/v2.0/token (client_id, client_secret, grant_type=client_credentials,
 * scope={resource}/.default). Errors follow Entra's JSON shape
 * (`error`, `error_description` with an AADSTS code).
 */
export async function startTokenEndpoint(issuer: TestIssuer, apps: TokenApp[], options: TokenEndpointOptions): Promise<TokenEndpoint> {
  const { resource: served, defaultRoles, port = 0 } = options;
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
    end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
  });
  let issued = 0;
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const entraError = (res: import('node:http').ServerResponse, status: number, error: string, description: string): void =>
    json(res, status, { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() });

  const server = createHttpsServer({ key, cert }, (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method === 'GET' && (path === `/${tenant}/v2.0/.well-known/openid-configuration` || path === `/${tenant}/.well-known/openid-configuration`)) {
      return json(res, HTTP_OK, config());
    }
    if (req.method === 'GET' && path === `/${tenant}/discovery/v2.0/keys`) return json(res, HTTP_OK, { keys: [issuer.publicJwk] });
    if (req.method === 'POST' && path === `/${tenant}/oauth2/v2.0/token`) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
          let clientId = form.get('client_id') ?? '';
          let secret = form.get('client_secret') ?? '';
          const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
          if (basic) {
            const [id, s] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
            clientId = decodeURIComponent(id ?? '');
            secret = decodeURIComponent(s ?? '');
          }
          if (form.get('grant_type') !== 'client_credentials') {
            return entraError(res, HTTP_BAD_REQUEST, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type. This test endpoint serves client_credentials only.');
          }
          const app = apps.find((a) => a.clientId === clientId);
          if (!app) return entraError(res, HTTP_BAD_REQUEST, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
          if (app.clientSecret !== secret) return entraError(res, HTTP_UNAUTHORIZED, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
          const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
          const resource = scopes.find((s) => s.endsWith('/.default'))?.slice(0, -'/.default'.length);
          if (!resource || scopes.some((s) => !s.endsWith('/.default') && !['openid', 'profile', 'offline_access'].includes(s))) {
            return entraError(res, HTTP_BAD_REQUEST, 'invalid_scope', `AADSTS1002012: The provided value for scope ${form.get('scope') ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
          }
          if (resource.replace(/\/$/, '') !== served) {
            return entraError(res, HTTP_BAD_REQUEST, 'invalid_resource', `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${tenant}.`);
          }
          const accessToken = await mintToken(issuer, { appId: clientId, roles: app.roles ?? defaultRoles, aud: served });
          issued++;
          json(res, HTTP_OK, { token_type: 'Bearer', expires_in: DEFAULT_TOKEN_LIFETIME_S, ext_expires_in: DEFAULT_TOKEN_LIFETIME_S, access_token: accessToken });
        })().catch((err: unknown) => entraError(res, HTTP_BAD_REQUEST, 'server_error', String(err)));
      });
      return;
    }
    json(res, HTTP_NOT_FOUND, { error: 'not_found', error_description: `No route ${req.method} ${path}` });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
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
      return issued;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
