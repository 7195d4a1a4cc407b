/**
 * What the app-only (TokenCache, ews/credentials.ts) and the delegated (DelegatedTokens,
 * graph/delegated-auth.ts) sign-ins share: one msal app per key, made once and shared by every
 * session of a connector (msal-node, ~18 MB, is imported when the first one is needed), and
 * bearer credentials that reuse the access token until shortly before it expires, ask for one
 * token at a time, and drop it when the server answers 401.
 */
import type { EwsCredentials } from './ews/credentials.js';

/** Refresh a cached token this long before it expires. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** When Entra ID names no expiry. */
const DEFAULT_TOKEN_LIFETIME_MS = 3600_000;

export interface TokenSlot<App> {
  app: Promise<App>;
  token?: { value: string; expiresAt: number };
  pending?: Promise<string>;
  /** The server refused the last token: the next one must not come from msal's cache. */
  forceRefresh?: boolean;
}

export class MsalApps<App> {
  private readonly slots = new Map<string, TokenSlot<App>>();

  slot(key: string, make: () => Promise<App>): TokenSlot<App> {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { app: make() };
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Forgets a key's app and token (its credential was replaced). */
  drop(key: string): void {
    this.slots.delete(key);
  }
}

/** msal's answer, as far as the credentials need it. */
export interface AcquiredToken {
  accessToken: string;
  expiresOn?: Date | null;
}

/**
 * `Authorization: Bearer` credentials over a slot. `acquire` asks msal (with `forceRefresh` after
 * a 401) and throws errors already in an admin's words; it returns undefined when Entra ID gave
 * no token, which `noToken` words.
 */
export function bearerCredentials<App>(
  slot: TokenSlot<App>,
  who: string,
  acquire: (app: App, forceRefresh: boolean) => Promise<AcquiredToken | null | undefined>,
  noToken: () => Error,
): EwsCredentials {
  const fetchToken = async (): Promise<string> => {
    const result = await acquire(await slot.app, slot.forceRefresh === true);
    slot.forceRefresh = false;
    if (!result?.accessToken) throw noToken();
    slot.token = { value: result.accessToken, expiresAt: result.expiresOn?.getTime() ?? Date.now() + DEFAULT_TOKEN_LIFETIME_MS };
    return result.accessToken;
  };
  return {
    kind: 'oauth',
    who,
    header: async () => {
      const token = slot.token;
      if (token && token.expiresAt - Date.now() > REFRESH_MARGIN_MS) return `Bearer ${token.value}`;
      slot.pending ??= fetchToken().finally(() => (slot.pending = undefined));
      return `Bearer ${await slot.pending}`;
    },
    invalidate: () => {
      slot.token = undefined;
      slot.forceRefresh = true;
      return true;
    },
  };
}
