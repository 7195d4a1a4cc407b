/**
 * How a session authenticates each HTTP request: Basic (WebCredentials semantics) for an admin
 * or a per-item login, or a Modern Auth app token (OAuth 2.0 client credentials through
 * @azure/msal-node) sent as `Authorization: Bearer`. Tokens are cached per app registration
 * and refreshed before they expire, and once more when the server answers 401.
 */
import type { ConfidentialClientApplication, INetworkModule } from '@azure/msal-node';
import { createHash } from 'node:crypto';
import { AuthError, ConnectionError, ValidationError } from '../../core/errors.js';
import type { MailboxAccess } from '../../core/connector.js';
import { certificateProblem } from '../../core/app-certificate.js';
import { MsalApps, bearerCredentials } from '../bearer-tokens.js';
import { cloudOf, isMicrosoft365, tokenResource } from './endpoint-url.js';

export interface EwsModernAuthOptions {
  /**
   * The Entra ID host to ask for tokens, e.g. `https://127.0.0.1:PORT` for a test endpoint;
   * default: the endpoint cloud's authority (login.microsoftonline.com, …). The authority is
   * `${authorityHost}/${tenantId}`.
   */
  authorityHost?: string;
  /** msal-node `knownAuthorities` (skips instance discovery); defaults to the authorityHost's host when one is given. */
  knownAuthorities?: string[];
  /** msal-node `authorityMetadata` (the openid-configuration document as JSON text). */
  authorityMetadata?: string;
  /** msal-node `system.networkClient` (e.g. one that trusts a test CA). */
  networkClient?: INetworkModule;
  /** Token resource override; default: the cloud's EWS host (Exchange Online) or the server's origin. */
  resource?: string;
  /** What an admin grants when Entra ID refuses a token (default: EWS's full_access_as_app). */
  permissionHint?: string;
}

const EWS_PERMISSION_HINT = 'the Exchange Online application permission full_access_as_app (or RBAC for Applications) with admin consent';

export interface EwsCredentials {
  readonly kind: 'basic' | 'oauth';
  /** Who we authenticate as, for messages (a login or `app <clientId>`); never a secret. */
  readonly who: string;
  header(): Promise<string>;
  /** The server refused the current credentials: drop any cached token. Returns false when nothing can change. */
  invalidate(): boolean;
}

export function basicCredentials(login: string, password: string): EwsCredentials {
  const header = `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;
  return { kind: 'basic', who: login, header: async () => header, invalidate: () => false };
}

/** One msal app (and token) per registration and authority, shared by every session of a connector. */
export class TokenCache {
  private readonly apps = new MsalApps<ConfidentialClientApplication>();

  constructor(private readonly options: EwsModernAuthOptions = {}) {}

  credentials(access: MailboxAccess): EwsCredentials {
    const { modernAuth, endpoint } = access;
    if (!modernAuth || (!modernAuth.clientSecret && !modernAuth.certificate)) {
      throw new ValidationError('Modern Auth needs a client id, a tenant id and a client secret or certificate.');
    }
    const { certificate } = modernAuth;
    const authorityHost = (
      this.options.authorityHost ??
      (isMicrosoft365(endpoint) ? cloudOf(endpoint).authorityHost : cloudOf({ cloud: 'commercial' }).authorityHost)
    ).replace(/\/+$/, '');
    const authority = `${authorityHost}/${modernAuth.tenantId}`;
    const resource = (this.options.resource ?? tokenResource(endpoint)).replace(/\/+$/, '');
    const scope = `${resource}/.default`;
    const proof = certificate ? `${certificate.thumbprintSha256}\n${certificate.privateKey}` : modernAuth.clientSecret;
    const key = createHash('sha256').update([authority, modernAuth.clientId, proof, scope].join('\n')).digest('hex');
    const slot = this.apps.slot(key, async () => {
      const knownAuthorities = this.options.knownAuthorities ?? (this.options.authorityHost ? [new URL(authorityHost).host] : undefined);
      const { ConfidentialClientApplication: App } = await import('@azure/msal-node');
      return new App({
        auth: {
          clientId: modernAuth.clientId,
          // A certificate signs a client assertion (x5t#S256 names it); a secret is sent as is.
          ...(certificate
            ? { clientCertificate: { thumbprintSha256: certificate.thumbprintSha256.toLowerCase(), privateKey: certificate.privateKey } }
            : { clientSecret: modernAuth.clientSecret }),
          authority,
          ...(knownAuthorities ? { knownAuthorities } : {}),
          ...(this.options.authorityMetadata ? { authorityMetadata: this.options.authorityMetadata } : {}),
        },
        ...(this.options.networkClient ? { system: { networkClient: this.options.networkClient } } : {}),
      });
    });
    const acquire = async (app: ConfidentialClientApplication) => {
      const expired = certificate && certificateProblem(certificate, Date.now());
      if (expired) throw new AuthError(expired);
      try {
        return await app.acquireTokenByClientCredential({ scopes: [scope], skipCache: true });
      } catch (err) {
        throw tokenError(err, {
          clientId: modernAuth.clientId,
          tenantId: modernAuth.tenantId,
          scope,
          authority,
          hint: this.options.permissionHint ?? EWS_PERMISSION_HINT,
          credential: certificate
            ? `that the certificate (thumbprint ${certificate.thumbprint}) is uploaded to the app registration`
            : 'the client secret (the secret value, not its id)',
        });
      }
    };
    return bearerCredentials(
      slot,
      `app ${modernAuth.clientId}`,
      acquire,
      () => new AuthError(`Entra ID returned no access token for ${scope}.`),
    );
  }
}

interface TokenRequest {
  clientId: string;
  tenantId: string;
  scope: string;
  authority: string;
  hint: string;
  /** What to check about the app's credential, in an admin's words. */
  credential: string;
}

function tokenError(err: unknown, { clientId, tenantId, scope, authority, hint, credential }: TokenRequest): Error {
  if (err instanceof AuthError) return err;
  const e = err as { errorCode?: string; errorMessage?: string; message?: string };
  const said = (e.errorMessage || e.message || String(err)).split('\n')[0];
  const code = e.errorCode ?? '';
  if (/network|fetch|ECONN|ENOTFOUND|timed? ?out/i.test(`${code} ${said}`) && !/AADSTS/.test(said ?? '')) {
    return new ConnectionError(`Could not reach the sign-in service ${authority} for a Modern Auth token: ${said}`, { cause: err });
  }
  // msal-node found no sign-in endpoints for the tenant: Entra ID does not know it (AADSTS90002), or its
  // discovery could not be read. Its own message is a link to msal's error list, which tells an admin nothing.
  if (code === 'endpoints_resolution_error' || /AADSTS90002/.test(said ?? '')) {
    return new AuthError(
      `Entra ID does not know the tenant "${tenantId}" (or ${authority} could not be reached). ` +
        "Give the Directory (tenant) ID from the app registration's Overview page: a GUID, or a domain of the tenant such as contoso.onmicrosoft.com.",
      { cause: err, field: 'appTenantId' },
    );
  }
  return new AuthError(
    `Modern Auth: no token for app ${clientId} in tenant ${tenantId} (scope ${scope}). Entra ID said: "${said}". ` +
      `Check the client id, the tenant id and ${credential}, and that the app has ${hint}.`,
    { cause: err },
  );
}
