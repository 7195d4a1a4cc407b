import { randomBytes } from 'node:crypto';
import type { KeyVaultSecrets } from './key-vault-secret-vault.js';

const LINK_KEY_SECRET = 'mailferry-link-key';
const LINK_KEY_BYTES = 32;

/**
 * The HMAC key that signs end-user credential links, kept as one Key Vault secret so every
 * Functions instance signs and verifies with the same key. Made on first use.
 */
export async function loadOrCreateLinkKeySecret(secrets: KeyVaultSecrets): Promise<Buffer> {
  try {
    const secret = await secrets.getSecret(LINK_KEY_SECRET);
    if (secret.value) return Buffer.from(secret.value, 'base64');
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  const key = randomBytes(LINK_KEY_BYTES);
  await secrets.setSecret(LINK_KEY_SECRET, key.toString('base64'), { contentType: 'mailferry-link-key' });
  // Two instances starting at once may both write: read back so both use the one that won.
  const stored = await secrets.getSecret(LINK_KEY_SECRET);
  return Buffer.from(stored.value ?? key.toString('base64'), 'base64');
}
