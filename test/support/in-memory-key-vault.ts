/**
 * A stand-in for `@azure/keyvault-secrets`' SecretClient with Key Vault's observable behaviour:
 * 404 for unknown names, tags kept, soft delete (a deleted secret is unreadable but still held
 * until purged), purge allowed only on a deleted secret, and 403 on purge when the vault has
 * purge protection. No Key Vault runs on CI machines (docs/azure.md: what only real Azure can prove).
 */
import type { KeyVaultSecrets } from '../../api/adapters/key-vault/key-vault-secret-vault.js';

interface StoredSecret {
  value: string;
  tags?: Record<string, string>;
  deleted: boolean;
}

function keyVaultError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

export class InMemoryKeyVault implements KeyVaultSecrets {
  readonly stored = new Map<string, StoredSecret>();

  constructor(private readonly options: { purgeProtection?: boolean } = {}) {}

  async setSecret(name: string, value: string, options?: { tags?: Record<string, string> }) {
    if (this.stored.get(name)?.deleted) throw keyVaultError(409, `Secret ${name} is currently in a deleted but recoverable state.`);
    this.stored.set(name, { value, tags: options?.tags, deleted: false });
    return {};
  }

  async getSecret(name: string) {
    const secret = this.stored.get(name);
    if (!secret || secret.deleted) throw keyVaultError(404, `Secret not found: ${name}`);
    return { value: secret.value, properties: { tags: secret.tags } };
  }

  async beginDeleteSecret(name: string) {
    const secret = this.stored.get(name);
    if (!secret || secret.deleted) throw keyVaultError(404, `Secret not found: ${name}`);
    secret.deleted = true;
    return { pollUntilDone: async () => ({ name }) };
  }

  async purgeDeletedSecret(name: string) {
    const secret = this.stored.get(name);
    if (!secret?.deleted) throw keyVaultError(404, `Deleted secret not found: ${name}`);
    if (this.options.purgeProtection)
      throw keyVaultError(403, 'Operation "purge" is not allowed because purge protection is enabled for this vault.');
    this.stored.delete(name);
    return undefined;
  }

  /** Secrets still held in any state: live or soft-deleted. */
  get held(): number {
    return this.stored.size;
  }
}
