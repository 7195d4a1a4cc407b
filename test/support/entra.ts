/**
 * A stand-in for Microsoft Entra ID shared by the EWS and Graph test servers: a test token
 * issuer (a jose RS256 key pair), Entra v1-shaped access tokens and their verification, and an
 * msal-node network client that trusts the local token endpoint (./entra-endpoint.ts).
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
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify, errors as joseErrors, type CryptoKey, type JWK } from 'jose';

const DEFAULT_TENANT = '5f1c1b5e-0000-4000-8000-00000000c0de';
export const DEFAULT_TOKEN_LIFETIME_S = 3600;

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
    if (err instanceof joseErrors.JWSSignatureVerificationFailed)
      return { ok: false, reason: 'The token signature is invalid.', category: 'invalid_signature' };
    return { ok: false, reason: `The token is invalid: ${(err as Error).message}`, category: 'invalid_token' };
  }
  const aud = payload['aud'];
  const audOk = [resource, `${resource}/`].some((a) => (Array.isArray(aud) ? aud.includes(a) : aud === a));
  if (!audOk) return { ok: false, reason: `The audience claim value is invalid '${String(aud)}'.`, category: 'invalid_resource' };
  const tenantId = String(payload['tid'] ?? '');
  if (tenantId !== issuer.tenantId)
    return { ok: false, reason: `The tenant '${tenantId}' is not this organization.`, category: 'invalid_tenant' };
  return { ok: true, payload };
}

/** The subset of msal-common's INetworkModule that msal-node uses. */
export interface NetworkModule {
  sendGetRequestAsync<T>(
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
    timeout?: number,
  ): Promise<{ headers: Record<string, string>; body: T; status: number }>;
  sendPostRequestAsync<T>(
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<{ headers: Record<string, string>; body: T; status: number }>;
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
