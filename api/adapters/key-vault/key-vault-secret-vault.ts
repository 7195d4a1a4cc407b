import { createHash, randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { SecretVault } from '../../core/ports.js';

/**
 * The subset of `@azure/keyvault-secrets`' SecretClient this vault uses, so tests can run the
 * SecretVault conformance suite without a Key Vault (none runs on CI machines).
 */
export interface KeyVaultSecrets {
  setSecret(name: string, value: string, options?: { tags?: Record<string, string>; contentType?: string }): Promise<unknown>;
  getSecret(name: string): Promise<{ value?: string; properties: { tags?: Record<string, string> } }>;
  beginDeleteSecret(name: string, options?: { intervalInMs?: number }): Promise<{ pollUntilDone(): Promise<unknown> }>;
  purgeDeletedSecret(name: string): Promise<unknown>;
}

const REF_PREFIX = 'kv:';
const TENANT_TAG = 'mailferry-tenant';
/** Key Vault names: 1-127 characters of letters, digits and dashes. */
const NAME_PATTERN = /^[A-Za-z0-9-]{1,127}$/;
const TENANT_HASH_CHARS = 16;
/** Soft delete usually completes within a second; the SDK's default poll interval is 2 s. */
const DELETE_POLL_MS = 250;

/**
 * Secrets in Azure Key Vault, one Key Vault secret per Mailferry secret. The reference kept in
 * the record is `kv:<secret name>`; the name starts with a hash of the tenant and the secret is
 * tagged with the tenant, and both are checked on read, so a reference copied into another
 * tenant's record does not resolve there.
 */
export class KeyVaultSecretVault implements SecretVault {
  constructor(private readonly secrets: KeyVaultSecrets) {}

  async put(tenantId: string, value: string): Promise<string> {
    const name = `mf-${tenantHash(tenantId)}-${randomUUID()}`;
    await this.secrets.setSecret(name, value, { tags: { [TENANT_TAG]: tenantId }, contentType: 'mailferry-secret' });
    return `${REF_PREFIX}${name}`;
  }

  async get(tenantId: string, ref: string): Promise<string> {
    const name = this.nameOf(ref);
    const missing = new NotFoundError('This secret is not available for this tenant: enter the password again.');
    if (!name.startsWith(`mf-${tenantHash(tenantId)}-`)) throw missing;
    let secret: Awaited<ReturnType<KeyVaultSecrets['getSecret']>>;
    try {
      secret = await this.secrets.getSecret(name);
    } catch (error) {
      if (statusOf(error) === 404) throw missing;
      throw error;
    }
    if (secret.properties.tags?.[TENANT_TAG] !== tenantId || secret.value === undefined) throw missing;
    return secret.value;
  }

  /**
   * Soft-deletes the secret, waits until Key Vault has finished, then purges it so it cannot be
   * recovered. A vault with purge protection, or an identity without the purge right, answers
   * 403: the secret then stays soft-deleted until the vault's retention period ends. A 404 means
   * the step was already done (a retried delete), so the next one still runs.
   */
  async delete(tenantId: string, ref: string): Promise<void> {
    const name = this.nameOf(ref);
    if (!name.startsWith(`mf-${tenantHash(tenantId)}-`)) return;
    try {
      await (await this.secrets.beginDeleteSecret(name, { intervalInMs: DELETE_POLL_MS })).pollUntilDone();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    try {
      await this.secrets.purgeDeletedSecret(name);
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 403) throw error;
    }
  }

  private nameOf(ref: string): string {
    const name = ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : '';
    if (!NAME_PATTERN.test(name)) throw new ValidationError('This is not a Key Vault secret reference.', { field: 'secretRef' });
    return name;
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

function tenantHash(tenantId: string): string {
  return createHash('sha256').update(tenantId).digest('hex').slice(0, TENANT_HASH_CHARS);
}
