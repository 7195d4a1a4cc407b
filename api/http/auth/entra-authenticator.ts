import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthError } from '../../core/errors.js';
import type { Principal } from '../../core/services/access-service.js';
import { bearerToken, type Authenticator } from './authenticator.js';

export interface EntraConfig {
  /** Accepted `aud` values: the API's application (client) id and/or its `api://…` URI. */
  audiences: string[];
  /** The tenants this deployment serves (a single-tenant deployment lists one). Required: never "any tenant". */
  allowedTenants: string[];
  /**
   * Delegated scopes of the API, any one of which a user's token must carry in \`scp\`: what the
   * Teams and Office SSO clients ask for. Default: \`access_as_user\`.
   */
  scopes?: string[];
  /**
   * App roles the API defines for daemon callers (app-only tokens: no \`scp\`, \`roles\` instead).
   * Empty (the default) refuses every app-only token.
   */
  appRoles?: string[];
  /** Sovereign clouds use other hosts; the issuer must be one of these with the token's own tenant id. */
  authorityHosts?: string[];
  jwksUri?: string;
  /** Injected key source for tests (a local JWKS); production fetches and caches `jwksUri`. */
  keys?: JWTVerifyGetKey;
}

/** The delegated scope the API app registration exposes for Teams and Office single sign-on. */
export const DEFAULT_API_SCOPE = 'access_as_user';
const DEFAULT_JWKS_URI = 'https://login.microsoftonline.com/common/discovery/v2.0/keys';
const DEFAULT_AUTHORITY_HOSTS = ['https://login.microsoftonline.com', 'https://sts.windows.net'];
/** Keys rotate rarely; an unknown `kid` still triggers a refetch after the cooldown. */
const JWKS_CACHE_MAX_AGE_MS = 60 * 60 * 1000;
const JWKS_COOLDOWN_MS = 30 * 1000;
const JWKS_TIMEOUT_MS = 5 * 1000;
/** Tolerated clock skew between Entra ID and this host. */
const CLOCK_TOLERANCE_S = 60;

/**
 * Validates Microsoft Entra ID access tokens (Teams SSO, Office SSO): RS256 signature against the
 * cached JWKS, expiry, audience, an issuer that names the token's own tenant, the tenant
 * allow-list, and a grant for this API: the delegated scope (\`scp\`) or one of its app roles. A
 * token Entra ID issued to any app for this audience is not enough on its own: without the scope
 * check, an app-only token of a stranger's daemon would be a user. Anything else is a 401 that
 * says why without echoing the token.
 */
export class EntraAuthenticator implements Authenticator {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly config: EntraConfig) {
    if (!config.audiences.length) throw new Error('EntraAuthenticator needs at least one audience (the API app id).');
    if (!config.allowedTenants.length) throw new Error('EntraAuthenticator needs the tenants this deployment serves (allowedTenants).');
    this.keys =
      config.keys ??
      createRemoteJWKSet(new URL(config.jwksUri ?? DEFAULT_JWKS_URI), {
        cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
        cooldownDuration: JWKS_COOLDOWN_MS,
        timeoutDuration: JWKS_TIMEOUT_MS,
      });
  }

  async authenticate(headers: Record<string, string | undefined>): Promise<Principal> {
    const token = bearerToken(headers);
    if (!token) throw new AuthError('Sign in first: the request carries no "Authorization: Bearer" access token.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        audience: this.config.audiences,
        algorithms: ['RS256'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (error) {
      throw new AuthError(`The access token was rejected: ${describe(error)}`);
    }
    const tenantId = typeof payload.tid === 'string' ? payload.tid : undefined;
    const userId = typeof payload.oid === 'string' ? payload.oid : undefined;
    if (!tenantId || !userId) throw new AuthError('The access token was rejected: it has no tenant (tid) or user (oid) claim.');
    const hosts = this.config.authorityHosts ?? DEFAULT_AUTHORITY_HOSTS;
    const issuers = hosts.flatMap((host) => [`${host}/${tenantId}/v2.0`, `${host}/${tenantId}/`]);
    if (!issuers.includes(String(payload.iss)))
      throw new AuthError(`The access token was rejected: issuer ${String(payload.iss)} does not match its tenant ${tenantId}.`);
    if (!this.config.allowedTenants.includes(tenantId))
      throw new AuthError(`Tenant ${tenantId} is not served by this Mailferry deployment (MAILFERRY_ALLOWED_TENANTS).`);
    this.checkGrant(payload);
    const name =
      typeof payload.name === 'string'
        ? payload.name
        : typeof payload.preferred_username === 'string'
          ? payload.preferred_username
          : undefined;
    return { tenantId, userId, name, kind: 'user' };
  }

  /** A user token needs one of the API's delegated scopes; a token without \`scp\` is app-only and needs an app role. */
  private checkGrant(payload: JWTPayload): void {
    const scopes = this.config.scopes?.length ? this.config.scopes : [DEFAULT_API_SCOPE];
    if (typeof payload.scp === 'string') {
      const granted = payload.scp.split(' ');
      if (!scopes.some((s) => granted.includes(s))) {
        throw new AuthError(
          `The access token was rejected: it does not carry this API's delegated scope ${scopes.join(' or ')} (sign in through the Mailferry app, which asks for it).`,
        );
      }
      return;
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
    const appRoles = this.config.appRoles ?? [];
    if (!appRoles.length)
      throw new AuthError(
        'The access token was rejected: it is an application (app-only) token; this API accepts only users signed in through the Mailferry app.',
      );
    if (!appRoles.some((r) => roles.includes(r))) {
      throw new AuthError(
        `The access token was rejected: it is an application (app-only) token without an app role of this API (${appRoles.join(' or ')}); grant the app that role.`,
      );
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired; sign in again.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim "${error.claim}" is not valid (${error.reason}).`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify.';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'it was signed with a key Entra ID does not publish.';
  if (error instanceof joseErrors.JOSEError) return `${error.code}.`;
  return 'it is not a well-formed JWT.';
}
