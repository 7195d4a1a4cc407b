/**
 * Delegated sign-in for Microsoft 365 Groups over Graph. `POST /groups/{id}/threads` takes the
 * delegated Group.ReadWrite.All only (GRAPH.md: no application permission), so an administrator
 * signs in once with msal-node's device code flow (a public client: no secret), and msal's
 * serialized token cache, refresh token inside, goes to the vault. Workers load that cache and
 * get access tokens silently (msal redeems the refresh token when the access token expires, and
 * the cache with Entra ID's rotated refresh token goes back to the vault);
 * once Entra ID refuses the refresh token (revoked, expired, password reset, consent withdrawn)
 * the error tells the admin to sign in again and where. Tokens and the cache never reach a log
 * or an error message.
 */
import type { AccountInfo, AuthenticationResult, DeviceCodeRequest, PublicClientApplication } from '@azure/msal-node';
import { createHash } from 'node:crypto';
import type { DelegatedSignIn, DeviceCodeSignIn } from '../../core/connector.js';
import { AuthError, ConnectionError, ValidationError } from '../../core/errors.js';
import type { Endpoint } from '../../core/model.js';
import { MsalApps, bearerCredentials } from '../bearer-tokens.js';
import type { EwsCredentials, EwsModernAuthOptions } from '../ews/credentials.js';

/** The one delegated permission the Groups path needs (it also covers looking the group up). */
export const GROUP_POST_PERMISSION = 'Group.ReadWrite.All';
const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const SCOPES = [`${GRAPH_RESOURCE}/${GROUP_POST_PERMISSION}`];
const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

export type DelegatedAuthOptions = Omit<EwsModernAuthOptions, 'resource' | 'permissionHint'>;

/** Where an admin signs in again, in the words of the console and the CLI. */
export function signInAgainAdvice(endpoint: Pick<Endpoint, 'name' | 'id'>): string {
  return (
    `Sign in again as an administrator: in the console, Endpoints → "${endpoint.name}" → Sign in as an administrator, ` +
    `or run "mailferry endpoint sign-in --endpoint ${endpoint.id}".`
  );
}

async function publicClient(endpoint: Endpoint, options: DelegatedAuthOptions): Promise<PublicClientApplication> {
  if (!endpoint.appClientId || !endpoint.appTenantId) {
    throw new ValidationError(
      `Endpoint "${endpoint.name}" has no app registration to sign in with: give it appClientId and appTenantId of an app that allows public client flows ` +
        `and has the delegated permission ${GROUP_POST_PERMISSION}.`,
      { field: 'appClientId' },
    );
  }
  const authorityHost = (options.authorityHost ?? DEFAULT_AUTHORITY_HOST).replace(/\/+$/, '');
  const knownAuthorities = options.knownAuthorities ?? (options.authorityHost ? [new URL(authorityHost).host] : undefined);
  const { PublicClientApplication: App } = await import('@azure/msal-node');
  return new App({
    auth: {
      clientId: endpoint.appClientId,
      authority: `${authorityHost}/${endpoint.appTenantId}`,
      ...(knownAuthorities ? { knownAuthorities } : {}),
      ...(options.authorityMetadata ? { authorityMetadata: options.authorityMetadata } : {}),
    },
    ...(options.networkClient ? { system: { networkClient: options.networkClient } } : {}),
  });
}

/** Entra ID's first line, without tokens (msal's messages carry none, but never more than a line). */
function entraSaid(err: unknown): { code: string; said: string } {
  const e = err as { errorCode?: string; errorMessage?: string; message?: string };
  const line = (e.errorMessage || e.message || String(err)).split('\n')[0]!.trim();
  // msal wraps Entra's sentence in "Error(s): … - Description: AADSTS…: … - Correlation ID: …".
  const aadsts = /AADSTS\d+:.*?(?= - (?:Correlation ID|Trace ID|Timestamp):|$)/.exec(line)?.[0];
  return { code: e.errorCode ?? '', said: aadsts ?? line };
}

function consentAdvice(endpoint: Endpoint): string {
  return (
    `In the Entra admin center, App registrations → the app ${endpoint.appClientId} → API permissions → Add a permission → Microsoft Graph → ` +
    `Delegated permissions → ${GROUP_POST_PERMISSION}, then Grant admin consent.`
  );
}

/**
 * Starts a device-code sign-in: resolves with the code as soon as Entra ID gives one; `result`
 * settles when the admin has signed in (or declined, or the code expired, or it was cancelled).
 */
export async function startDeviceCodeSignIn(endpoint: Endpoint, options: DelegatedAuthOptions): Promise<DeviceCodeSignIn> {
  const pca = await publicClient(endpoint, options);
  return new Promise<DeviceCodeSignIn>((resolve, reject) => {
    const request: DeviceCodeRequest = {
      scopes: SCOPES,
      deviceCodeCallback: (r) => {
        if (!r.userCode || !Number.isFinite(r.expiresIn)) {
          // msal-node passes a refused device-code request on without Entra ID's words: stop it here.
          request.cancel = true;
          reject(
            new AuthError(
              `Entra ID would not start a sign-in for app ${endpoint.appClientId} in tenant ${endpoint.appTenantId}. The usual causes: the app lacks the delegated permission ` +
                `${GROUP_POST_PERMISSION} with admin consent (${consentAdvice(endpoint)}), or it does not allow public client flows ` +
                '(App registrations → the app → Authentication → Allow public client flows: Yes), or the client id or tenant id is wrong.',
            ),
          );
          return;
        }
        resolve({
          prompt: {
            userCode: r.userCode,
            verificationUri: r.verificationUri,
            message: r.message,
            expiresAt: new Date(Date.now() + r.expiresIn * 1000).toISOString(),
          },
          result,
          cancel: () => {
            request.cancel = true;
          },
        });
      },
    };
    const result = pca.acquireTokenByDeviceCode(request).then(
      async (r) => {
        if (!r?.account) throw new AuthError('Entra ID signed the administrator in but named no account; start the sign-in again.');
        return { signedInAs: r.account.username.toLowerCase(), tokenCache: pca.getTokenCache().serialize() };
      },
      (err: unknown) => {
        throw signInError(endpoint, err, request.cancel === true);
      },
    );
    // Before the code is shown (a wrong client id, a permission without consent) the start fails.
    result.catch(reject);
  });
}

function signInError(endpoint: Endpoint, err: unknown, cancelled: boolean): Error {
  if (cancelled) return new AuthError('The sign-in was cancelled (a newer one was started, or the host is closing).');
  const { code, said } = entraSaid(err);
  if (/AADSTS65001|consent/i.test(said))
    return new AuthError(
      `Entra ID refused the sign-in: the app lacks the delegated permission ${GROUP_POST_PERMISSION} with admin consent ("${said}"). ${consentAdvice(endpoint)}`,
    );
  if (/AADSTS7000218|public client/i.test(said)) {
    return new AuthError(
      `Entra ID refused the sign-in ("${said}"). In the Entra admin center, App registrations → the app ${endpoint.appClientId} → Authentication → Allow public client flows: Yes.`,
    );
  }
  if (/expired/i.test(`${code} ${said}`))
    return new AuthError('The code expired before anyone signed in with it (Entra ID gives 15 minutes). Start the sign-in again.');
  if (/declined/i.test(`${code} ${said}`))
    return new AuthError('The sign-in was declined at the verification page. Start it again and accept.');
  if (/network|fetch|ECONN|ENOTFOUND|timed? ?out/i.test(`${code} ${said}`) && !/AADSTS/.test(said)) {
    return new ConnectionError(`Could not reach the Microsoft sign-in service: ${said}`, { cause: err });
  }
  return new AuthError(
    `Entra ID refused the sign-in for app ${endpoint.appClientId} in tenant ${endpoint.appTenantId}: "${said}". Check the app's client id and tenant id.`,
  );
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/** The refresh tokens in msal's serialized cache: what Entra ID rotates. */
function refreshTokensOf(serializedCache: string): string {
  try {
    const section = (JSON.parse(serializedCache) as { RefreshToken?: Record<string, { secret?: string }> }).RefreshToken ?? {};
    return Object.values(section)
      .map((t) => t.secret ?? '')
      .sort()
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * Access tokens from an administrator's stored sign-in, one msal app per endpoint and sign-in
 * (a new sign-in is a new cache, so a new app): tokens are reused until shortly before expiry.
 * When a refresh brings a new refresh token (Entra ID rotates them, each with its own lifetime),
 * the cache goes back to the vault through `signIn.save`, so the sign-in outlives its first
 * refresh token; a failed save is not the job's failure (the token in hand still works), and the
 * next refresh tries again.
 */
export class DelegatedTokens {
  private readonly apps = new MsalApps<PublicClientApplication>();
  /** Per endpoint: digests of the caches its app was loaded from or saved. */
  private readonly known = new Map<string, Set<string>>();

  constructor(private readonly options: DelegatedAuthOptions = {}) {}

  credentials(endpoint: Endpoint, signIn: DelegatedSignIn | undefined): EwsCredentials {
    if (!signIn) {
      throw new AuthError(
        `Endpoint "${endpoint.name}" posts to Microsoft 365 Groups over Microsoft Graph, which needs an administrator's sign-in, and nobody has signed in yet. ` +
          signInAgainAdvice(endpoint).replace('Sign in again', 'Sign in'),
        { field: 'signIn' },
      );
    }
    // One app per endpoint. A cache it did not load or save itself is a new sign-in (or another
    // worker's rotation): a new app starts from it.
    const key = `${endpoint.tenantId}\n${endpoint.id}`;
    if (!this.known.get(key)?.has(digest(signIn.tokenCache))) {
      this.apps.drop(key);
      this.known.set(key, new Set([digest(signIn.tokenCache)]));
    }
    const slot = this.apps.slot(key, async () => {
      const app = await publicClient(endpoint, this.options);
      app.getTokenCache().deserialize(signIn.tokenCache);
      return app;
    });
    let saved = refreshTokensOf(signIn.tokenCache);
    const who = endpoint.signedInAs ?? 'the administrator';
    const acquire = async (app: PublicClientApplication, forceRefresh: boolean) => {
      const [account]: AccountInfo[] = await app.getTokenCache().getAllAccounts();
      if (!account)
        throw new AuthError(`The stored sign-in of endpoint "${endpoint.name}" holds no account. ${signInAgainAdvice(endpoint)}`, {
          field: 'signIn',
        });
      let result: AuthenticationResult;
      try {
        result = await app.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh });
      } catch (err) {
        throw refreshError(endpoint, who, err);
      }
      const cache = app.getTokenCache().serialize();
      const refreshTokens = refreshTokensOf(cache);
      if (signIn.save && refreshTokens && refreshTokens !== saved) {
        await signIn.save(cache).then(
          () => {
            saved = refreshTokens;
            this.known.get(key)?.add(digest(cache));
          },
          () => undefined,
        );
      }
      return result;
    };
    return bearerCredentials(
      slot,
      who,
      acquire,
      () => new AuthError(`Entra ID returned no access token for ${who}. ${signInAgainAdvice(endpoint)}`, { field: 'signIn' }),
    );
  }
}

function refreshError(endpoint: Endpoint, who: string, err: unknown): Error {
  if (err instanceof AuthError) return err;
  const { code, said } = entraSaid(err);
  if (/network|fetch|ECONN|ENOTFOUND|timed? ?out/i.test(`${code} ${said}`) && !/AADSTS/.test(said)) {
    return new ConnectionError(`Could not reach the Microsoft sign-in service for ${who}'s token: ${said}`, { cause: err });
  }
  if (/AADSTS65001|consent/i.test(said)) {
    return new AuthError(
      `Entra ID no longer gives ${who} the delegated permission ${GROUP_POST_PERMISSION} ("${said}"). ${consentAdvice(endpoint)} Then ${signInAgainAdvice(endpoint).replace(/^Sign/, 'sign')}`,
      { field: 'signIn' },
    );
  }
  const when = endpoint.signedInAt ? ` on ${endpoint.signedInAt.slice(0, 10)}` : '';
  return new AuthError(
    `The administrator sign-in of endpoint "${endpoint.name}" (${who}${when}) is no longer accepted by Entra ID ("${said}"): it was revoked or expired, ` +
      `the password changed, or a policy ended it. ${signInAgainAdvice(endpoint)}`,
    { field: 'signIn' },
  );
}
