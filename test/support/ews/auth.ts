/**
 * Exchange Online–style OAuth for the EWS test server: Bearer token checks the way Exchange
 * Online makes them, on top of the shared Entra stand-in (../entra.ts: test issuer and tokens;
 * ../entra-endpoint.ts: the local HTTPS token endpoint msal-node talks to).
 *
 * Tokens look like Entra v1 access tokens for Exchange Online: `aud` = `https://outlook.office365.com`,
 * `iss` = `https://sts.windows.net/{tid}/`, `tid`, `appid`, and either `roles` (app-only, e.g.
 * `full_access_as_app`) or `scp` (delegated, e.g. `EWS.AccessAsUser.All`) with `upn`.
 */
import { type TestIssuer, type TokenClaims as EntraClaims, mintToken as mintEntraToken, verifyToken } from '../entra.js';
import { type TokenApp, type TokenEndpoint, startTokenEndpoint as startEntraEndpoint } from '../entra-endpoint.js';

export { createTestIssuer, trustingNetworkClient, type NetworkModule, type TestIssuer } from '../entra.js';
export type { TokenEndpoint } from '../entra-endpoint.js';

/** Exchange Online's resource (the `aud` of tokens it accepts, the `/.default` scope's prefix). */
export const EXO_RESOURCE = 'https://outlook.office365.com';
/** The Exchange Online application role that grants EWS access to every mailbox (app-only). */
export const FULL_ACCESS_AS_APP = 'full_access_as_app';
/** The delegated EWS permission. */
export const EWS_ACCESS_AS_USER = 'EWS.AccessAsUser.All';

export type TokenClaims = Omit<EntraClaims, 'aud'> & { aud?: string };

/** Mints a token for Exchange Online (`aud` defaults to EXO_RESOURCE). */
export async function mintToken(issuer: TestIssuer, claims: TokenClaims): Promise<string> {
  return mintEntraToken(issuer, { ...claims, aud: claims.aud ?? EXO_RESOURCE });
}

/** Who a valid Bearer token speaks for. */
export type BearerIdentity =
  | { kind: 'app'; appId: string; tenantId: string; roles: string[] }
  | { kind: 'user'; appId: string; tenantId: string; upn: string; scopes: string[] };

export type BearerCheck = { ok: true; identity: BearerIdentity } | { ok: false; reason: string; category: string };

/**
 * Verifies a Bearer token as Exchange Online does: signature by the tenant's issuer, lifetime,
 * audience = Exchange Online, and a usable grant (`roles` with full_access_as_app, or `scp`
 * with EWS.AccessAsUser.All and a `upn`).
 */
export async function verifyBearer(issuer: TestIssuer, token: string): Promise<BearerCheck> {
  const checked = await verifyToken(issuer, token, EXO_RESOURCE);
  if (!checked.ok) return checked;
  const { payload } = checked;
  const tenantId = String(payload['tid']);
  const appId = String(payload['appid'] ?? payload['azp'] ?? '');
  const scp = typeof payload['scp'] === 'string' ? payload['scp'].split(' ').filter(Boolean) : [];
  if (scp.length > 0) {
    const upn = String(payload['upn'] ?? payload['preferred_username'] ?? '').toLowerCase();
    if (!upn) return { ok: false, reason: 'A delegated token needs a upn.', category: 'invalid_user' };
    if (!scp.includes(EWS_ACCESS_AS_USER))
      return { ok: false, reason: `The token lacks the ${EWS_ACCESS_AS_USER} scope.`, category: 'insufficient_scope' };
    return { ok: true, identity: { kind: 'user', appId, tenantId, upn, scopes: scp } };
  }
  const roles = Array.isArray(payload['roles']) ? payload['roles'].map(String) : [];
  if (!roles.includes(FULL_ACCESS_AS_APP))
    return { ok: false, reason: `The token lacks the ${FULL_ACCESS_AS_APP} role.`, category: 'insufficient_scope' };
  return { ok: true, identity: { kind: 'app', appId, tenantId, roles } };
}

/**
 * The WWW-Authenticate header Exchange Online sends with a 401 for a bad Bearer token
 * (observed shape: Bearer challenge naming Exchange's first-party client id and the trusted
 * issuers, `error="invalid_token"`, then the Basic challenges).
 */
export function bearerChallenge(): string {
  return (
    'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", ' +
    'token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
    'error="invalid_token",Basic Realm=""'
  );
}

/** An app the token endpoint knows; `roles` default to [full_access_as_app]. */
export type OAuthApp = TokenApp;

/** The Entra token endpoint for Exchange Online tokens (client-credentials grant, see ../entra.ts). */
export async function startTokenEndpoint(issuer: TestIssuer, apps: OAuthApp[], port = 0): Promise<TokenEndpoint> {
  return startEntraEndpoint(issuer, apps, { resource: EXO_RESOURCE, defaultRoles: [FULL_ACCESS_AS_APP], port });
}
