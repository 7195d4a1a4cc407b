/**
 * An administrator's delegated sign-in (Groups over Graph) in the vault: msal's serialized token
 * cache, refresh token inside, referenced by the endpoint's `signInRef`. Entra ID rotates refresh
 * tokens: each refresh hands out a new one with a lifetime of its own, so a sign-in lives on only
 * if the newest cache is kept. Jobs and endpoint checks load the sign-in with a `save` the
 * connector calls when msal's refresh token changed; the new cache goes to the vault (encrypted,
 * like every secret) and replaces the old one, unless the endpoint meanwhile holds another sign-in
 * (the admin signed in again, or another worker saved its own rotation first): then the newer
 * record wins and this cache is dropped.
 */
import type { DelegatedSignIn } from './connector.js';
import type { Endpoint } from './model.js';
import type { Clock, SecretVault, Store } from './ports.js';
import { deleteSecrets } from './secret-options.js';
import { updateDoc } from './update-doc.js';

export interface SignInDeps {
  store: Pick<Store, 'endpoints'>;
  vault: SecretVault;
  clock: Clock;
}

/**
 * Puts `tokenCache` in the vault and points the endpoint at it, deleting the cache it replaces.
 * With `onlyReplacing`, only while the endpoint still holds that reference; returns whether it was stored.
 */
export async function storeSignIn(
  deps: SignInDeps,
  tenantId: string,
  endpointId: string,
  tokenCache: string,
  fields: Pick<Endpoint, 'signedInAs' | 'signedInAt'>,
  onlyReplacing?: string,
): Promise<string | undefined> {
  const ref = await deps.vault.put(tenantId, tokenCache);
  let replaced: string | undefined;
  let stored = false;
  try {
    await updateDoc(deps.store.endpoints, tenantId, endpointId, (doc) => {
      if (onlyReplacing !== undefined && doc.signInRef !== onlyReplacing) return undefined;
      replaced = doc.signInRef;
      stored = true;
      return { ...doc, signInRef: ref, ...fields };
    });
  } catch (error) {
    await deleteSecrets(deps.vault, tenantId, [ref]);
    throw error;
  }
  // The earlier cache goes with the record that held it; an unstored one goes at once.
  await deleteSecrets(deps.vault, tenantId, [stored ? replaced : ref]);
  return stored ? ref : undefined;
}

/** The endpoint's stored sign-in, with the `save` a connector calls when Entra ID rotated its refresh token. */
export async function loadSignIn(deps: SignInDeps, endpoint: Endpoint): Promise<DelegatedSignIn | undefined> {
  if (!endpoint.signInRef) return undefined;
  let current = endpoint.signInRef;
  const { tenantId, id } = endpoint;
  return {
    tokenCache: await deps.vault.get(tenantId, current),
    save: async (tokenCache) => {
      const ref = await storeSignIn(deps, tenantId, id, tokenCache, {}, current);
      if (ref) current = ref;
    },
  };
}
