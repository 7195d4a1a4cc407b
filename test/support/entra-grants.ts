/**
 * The OAuth 2.0 grants of the local Entra token endpoint (./entra-endpoint.ts), as msal-node
 * sends them:
 *  - client credentials (app-only, `roles`), the client proven by its secret (form or Basic) or
 *    by a certificate: a `client_assertion` JWT signed with the certificate's key (RS256 with an
 *    `x5t` SHA-1 thumbprint, or PS256 with `x5t#S256`), audience = the token URL;
 *  - device code (delegated, `scp` + `upn`): a test approves the user code as the admin would
 *    at the verification page; the app registration allows public client flows;
 *  - refresh token: a delegated token again without the user, and a new refresh token (Entra ID
 *    rotates them), until revoked or until that token's lifetime ends (expireRefreshTokens).
 */
import { createHash, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors as joseErrors, importX509, jwtVerify } from 'jose';
import { DEFAULT_TOKEN_LIFETIME_S, type TestIssuer, mintToken } from './entra.js';

export interface TokenApp {
  clientId: string;
  /** The client secret; an app may have a secret, a certificate, or both. */
  clientSecret?: string;
  /** The public certificate (PEM) registered for the app (msal-node `clientCertificate`). */
  certificatePem?: string;
  /** Application roles granted on the resource; the endpoint's `defaultRoles` when absent. */
  roles?: string[];
  /** Delegated permissions consented for the app; the endpoint's `defaultDelegated` when absent. */
  delegated?: string[];
}

export interface TokenEndpointOptions {
  /** The one resource this endpoint issues tokens for (`aud`; the scope must be `{resource}/…`). */
  resource: string;
  /** Roles an app without its own `roles` gets. */
  defaultRoles: string[];
  /** Delegated permissions an app without its own `delegated` list may get. */
  defaultDelegated?: string[];
  /** Which users may sign in with a device code (any when absent). */
  knownUser?: (upn: string) => boolean;
  /** Access token lifetime in seconds (default one hour; shorter to test renewal). */
  tokenLifetimeS?: number;
  /** Seconds msal-node waits between device-code polls (Entra says 5; tests want 1). */
  deviceCodeIntervalS?: number;
  port?: number;
  /** The tenant's domains (contoso.onmicrosoft.com): an authority may name the tenant by one instead of its id, as Entra ID allows. */
  domains?: string[];
}

export class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const DEVICE_CODE_LIFETIME_S = 900;
const USER_CODE_LETTERS = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 9;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 8628's grant type, and the short form msal-node sends to Entra. */
const DEVICE_CODE_GRANTS = new Set(['urn:ietf:params:oauth:grant-type:device_code', 'device_code']);
/** Entra accepts assertions from clocks up to 5 minutes off. */
const CLOCK_SKEW_S = 300;
const HTTP_BAD_REQUEST = 400;
const HTTP_UNAUTHORIZED = 401;

interface DeviceCode {
  userCode: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  state: 'pending' | 'approved' | 'declined';
  upn?: string;
}

interface RefreshGrant {
  clientId: string;
  upn: string;
  scopes: string[];
}

const bad = (error: string, message: string): EntraError => new EntraError(HTTP_BAD_REQUEST, error, message);

function thumbprints(pem: string): { x5t: string; x5tS256: string } {
  const der = new X509Certificate(pem).raw;
  return { x5t: createHash('sha1').update(der).digest('base64url'), x5tS256: createHash('sha256').update(der).digest('base64url') };
}

export class GrantState {
  issued = 0;
  private readonly deviceCodes = new Map<string, DeviceCode>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly expiredRefreshTokens = new Set<string>();
  private readonly userIds = new Map<string, string>();

  constructor(
    private readonly issuer: TestIssuer,
    private readonly apps: TokenApp[],
    private readonly options: TokenEndpointOptions,
    private readonly authority: () => string,
  ) {}

  private lifetime(): number {
    return this.options.tokenLifetimeS ?? DEFAULT_TOKEN_LIFETIME_S;
  }

  private app(clientId: string): TokenApp {
    const app = this.apps.find((a) => a.clientId === clientId);
    if (!app)
      throw bad(
        'unauthorized_client',
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${this.issuer.tenantId}'.`,
      );
    return app;
  }

  /** Who the client is, proven by a secret or a certificate assertion (required for client credentials). */
  private async client(form: URLSearchParams, authorization: string | undefined, confidential: boolean): Promise<TokenApp> {
    let clientId = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
    if (basic) {
      const [id, s] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(s ?? '');
    }
    const assertion = form.get('client_assertion');
    if (assertion && form.get('client_assertion_type') === JWT_BEARER) {
      const assertedId = String(
        (JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as { iss?: string }).iss ?? '',
      );
      clientId ||= assertedId;
      const app = this.app(clientId);
      await this.checkAssertion(app, assertion);
      return app;
    }
    const app = this.app(clientId);
    if (secret !== undefined) {
      if (app.clientSecret === undefined || app.clientSecret !== secret) {
        throw new EntraError(
          HTTP_UNAUTHORIZED,
          'invalid_client',
          `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      }
      return app;
    }
    if (confidential)
      throw new EntraError(
        HTTP_UNAUTHORIZED,
        'invalid_client',
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    return app;
  }

  private async checkAssertion(app: TokenApp, assertion: string): Promise<void> {
    const invalid = (code: string, text: string) => new EntraError(HTTP_UNAUTHORIZED, 'invalid_client', `${code}: ${text}`);
    if (!app.certificatePem)
      throw invalid(
        'AADSTS700027',
        `The application '${app.clientId}' has no certificate registered; client assertions cannot be validated.`,
      );
    const header = decodeProtectedHeader(assertion);
    const prints = thumbprints(app.certificatePem);
    if (header.x5t !== prints.x5t && header['x5t#S256'] !== prints.x5tS256) {
      throw invalid(
        'AADSTS700027',
        `The certificate with identifier used to sign the client assertion is not registered on application '${app.clientId}'.`,
      );
    }
    const alg = header.alg === 'PS256' ? 'PS256' : 'RS256';
    try {
      await jwtVerify(assertion, await importX509(app.certificatePem, alg), {
        algorithms: [alg],
        clockTolerance: CLOCK_SKEW_S,
        issuer: app.clientId,
        subject: app.clientId,
        audience: [`${this.authority()}/oauth2/v2.0/token`],
      });
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw invalid('AADSTS700024', 'Client assertion is not within its valid time range.');
      throw invalid('AADSTS700027', `Client assertion failed signature validation. (${(err as Error).message})`);
    }
  }

  /** Permission names (`Group.ReadWrite.All`) from scopes (`https://graph.microsoft.com/Group.ReadWrite.All`, `…/.default`). */
  private delegatedNames(app: TokenApp, scopes: string[]): string[] {
    const consented = app.delegated ?? this.options.defaultDelegated ?? [];
    const names: string[] = [];
    for (const scope of scopes.filter((s) => !OIDC_SCOPES.has(s))) {
      const slash = scope.lastIndexOf('/');
      const resource = slash > 0 ? scope.slice(0, slash) : this.options.resource;
      if (resource.replace(/\/$/, '') !== this.options.resource) {
        throw bad(
          'invalid_resource',
          `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${this.issuer.tenantId}.`,
        );
      }
      const name = scope.slice(slash + 1);
      if (name === '.default') names.push(...consented);
      else if (!consented.includes(name)) {
        throw bad(
          'invalid_grant',
          `AADSTS65001: The user or administrator has not consented to use the application with ID '${app.clientId}' for the permission ${name}. Add it to the app registration's delegated permissions and consent.`,
        );
      } else names.push(name);
    }
    return [...new Set(names)];
  }

  deviceCode(form: URLSearchParams): Record<string, unknown> {
    const app = this.app(form.get('client_id') ?? '');
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    this.delegatedNames(app, scopes);
    const userCode = Array.from(randomBytes(USER_CODE_LENGTH), (b) => USER_CODE_LETTERS[b % USER_CODE_LETTERS.length]).join('');
    const deviceCode = randomBytes(32).toString('base64url');
    this.deviceCodes.set(deviceCode, {
      userCode,
      clientId: app.clientId,
      scopes,
      expiresAt: Date.now() + DEVICE_CODE_LIFETIME_S * 1000,
      state: 'pending',
    });
    return {
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: 'https://microsoft.com/devicelogin',
      expires_in: DEVICE_CODE_LIFETIME_S,
      interval: this.options.deviceCodeIntervalS ?? 1,
      message: `To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ${userCode} to authenticate.`,
    };
  }

  pendingDeviceCodes(): string[] {
    return [...this.deviceCodes.values()].filter((d) => d.state === 'pending' && d.expiresAt > Date.now()).map((d) => d.userCode);
  }

  settleDeviceCode(userCode: string, upn: string | undefined): void {
    const entry = [...this.deviceCodes.values()].find((d) => d.userCode === userCode);
    if (!entry) throw new Error(`no device code sign-in waits for user code ${userCode}`);
    if (upn !== undefined && this.options.knownUser && !this.options.knownUser(upn)) throw new Error(`${upn} is not a user of this tenant`);
    entry.state = upn === undefined ? 'declined' : 'approved';
    if (upn !== undefined) entry.upn = upn.toLowerCase();
  }

  revokeRefreshTokens(upn?: string): void {
    for (const [token, grant] of this.refreshTokens)
      if (upn === undefined || grant.upn === upn.toLowerCase()) this.refreshTokens.delete(token);
  }

  expireRefreshTokens(tokens: string[]): void {
    for (const token of tokens) {
      if (!this.refreshTokens.delete(token)) throw new Error('no such refresh token was issued (or it was revoked)');
      this.expiredRefreshTokens.add(token);
    }
  }

  async token(form: URLSearchParams, authorization: string | undefined): Promise<Record<string, unknown>> {
    const grant = form.get('grant_type');
    if (grant === 'client_credentials') return this.clientCredentials(await this.client(form, authorization, true), form);
    if (grant !== null && DEVICE_CODE_GRANTS.has(grant)) return this.redeemDeviceCode(await this.client(form, authorization, false), form);
    if (grant === 'refresh_token') return this.refresh(await this.client(form, authorization, false), form);
    throw bad(
      'unsupported_grant_type',
      `AADSTS70003: The app requested an unsupported grant type '${grant ?? ''}'. This test endpoint serves client_credentials, device_code and refresh_token.`,
    );
  }

  private async clientCredentials(app: TokenApp, form: URLSearchParams): Promise<Record<string, unknown>> {
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const resource = scopes.find((s) => s.endsWith('/.default'))?.slice(0, -'/.default'.length);
    if (!resource || scopes.some((s) => !s.endsWith('/.default') && !OIDC_SCOPES.has(s))) {
      throw bad(
        'invalid_scope',
        `AADSTS1002012: The provided value for scope ${form.get('scope') ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    if (resource.replace(/\/$/, '') !== this.options.resource) {
      throw bad(
        'invalid_resource',
        `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${this.issuer.tenantId}.`,
      );
    }
    const lifetime = this.lifetime();
    const accessToken = await mintToken(this.issuer, {
      appId: app.clientId,
      roles: app.roles ?? this.options.defaultRoles,
      aud: this.options.resource,
      expiresIn: lifetime,
    });
    this.issued++;
    return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
  }

  private async redeemDeviceCode(app: TokenApp, form: URLSearchParams): Promise<Record<string, unknown>> {
    const code = form.get('device_code') ?? '';
    const entry = this.deviceCodes.get(code);
    if (!entry || entry.clientId !== app.clientId)
      throw bad('invalid_grant', "AADSTS70000: The provided value for the 'device_code' is not valid.");
    if (entry.expiresAt <= Date.now())
      throw bad('expired_token', 'AADSTS70020: The provided value for the input parameter device_code is expired.');
    if (entry.state === 'pending')
      throw bad('authorization_pending', 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
    this.deviceCodes.delete(code);
    if (entry.state === 'declined') throw bad('authorization_declined', 'AADSTS70000: The user declined the sign-in request.');
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    return this.delegatedTokens(app, entry.upn!, scopes.length ? scopes : entry.scopes);
  }

  private async refresh(app: TokenApp, form: URLSearchParams): Promise<Record<string, unknown>> {
    const grant = this.refreshTokens.get(form.get('refresh_token') ?? '');
    if (this.expiredRefreshTokens.has(form.get('refresh_token') ?? '')) {
      throw bad(
        'invalid_grant',
        'AADSTS700082: The refresh token has expired due to inactivity. The token was issued on a date before its lifetime of 90.00:00:00 ended.',
      );
    }
    if (!grant)
      throw bad(
        'invalid_grant',
        'AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
      );
    if (grant.clientId !== app.clientId) throw bad('invalid_grant', 'AADSTS70000: The refresh token was issued to a different client id.');
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    return this.delegatedTokens(app, grant.upn, scopes.length ? scopes : grant.scopes);
  }

  private async delegatedTokens(app: TokenApp, upn: string, scopes: string[]): Promise<Record<string, unknown>> {
    const names = this.delegatedNames(app, scopes);
    const { resource } = this.options;
    const tid = this.issuer.tenantId;
    let oid = this.userIds.get(upn);
    if (!oid) {
      oid = randomUUID();
      this.userIds.set(upn, oid);
    }
    const lifetime = this.lifetime();
    const accessToken = await mintToken(this.issuer, {
      appId: app.clientId,
      scp: names.join(' '),
      upn,
      aud: resource,
      expiresIn: lifetime,
    });
    const out: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: [...names.map((n) => `${resource}/${n}`), ...scopes.filter((s) => OIDC_SCOPES.has(s))].join(' '),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
      client_info: Buffer.from(JSON.stringify({ uid: oid, utid: tid }), 'utf8').toString('base64url'),
    };
    if (scopes.includes('openid')) {
      out['id_token'] = await new SignJWT({ ver: '2.0', tid, oid, preferred_username: upn, name: upn })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.issuer.kid })
        .setIssuer(`${this.authority()}/v2.0`)
        .setSubject(oid)
        .setAudience(app.clientId)
        .setIssuedAt()
        .setExpirationTime(`${lifetime}s`)
        .sign(this.issuer.privateKey);
    }
    if (scopes.includes('offline_access')) {
      const refresh = randomBytes(48).toString('base64url');
      this.refreshTokens.set(refresh, { clientId: app.clientId, upn, scopes });
      out['refresh_token'] = refresh;
    }
    this.issued++;
    return out;
  }
}
