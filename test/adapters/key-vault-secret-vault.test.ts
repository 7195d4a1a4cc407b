/**
 * KeyVaultSecretVault through the SecretVault conformance suite. No Key Vault runs on CI machines,
 * so the SDK's SecretClient is replaced by an in-memory one with Key Vault's observable behaviour
 * (404 for unknown names, tags kept, soft delete): this proves the adapter's tenant binding and
 * references, not the SDK or the service (README: what only real Azure can prove).
 */
import { describe, expect, it } from 'vitest';
import { KeyVaultSecretVault, type KeyVaultSecrets } from '../../api/adapters/key-vault/key-vault-secret-vault.js';
import { describeSecretVaultConformance } from '../conformance/secret-vault-conformance.js';

class InMemorySecrets implements KeyVaultSecrets {
  readonly stored = new Map<string, { value: string; tags?: Record<string, string>; deleted: boolean }>();

  async setSecret(name: string, value: string, options?: { tags?: Record<string, string> }) {
    this.stored.set(name, { value, tags: options?.tags, deleted: false });
    return {};
  }

  async getSecret(name: string) {
    const secret = this.stored.get(name);
    if (!secret || secret.deleted) throw Object.assign(new Error(`Secret not found: ${name}`), { statusCode: 404 });
    return { value: secret.value, properties: { tags: secret.tags } };
  }

  async beginDeleteSecret(name: string) {
    const secret = this.stored.get(name);
    if (!secret) throw Object.assign(new Error(`Secret not found: ${name}`), { statusCode: 404 });
    secret.deleted = true;
    return {};
  }
}

describeSecretVaultConformance('KeyVaultSecretVault', async () => ({ vault: new KeyVaultSecretVault(new InMemorySecrets()), cleanup: async () => undefined }));

describe('KeyVaultSecretVault', () => {
  it('names secrets so Key Vault accepts them and tags them with their tenant', async () => {
    const secrets = new InMemorySecrets();
    const ref = await new KeyVaultSecretVault(secrets).put('contoso.onmicrosoft.com', 'pw');
    const [[name, stored]] = [...secrets.stored];
    expect(ref).toBe(`kv:${name}`);
    expect(name).toMatch(/^[A-Za-z0-9-]{1,127}$/);
    expect(stored!.tags).toEqual({ 'mailferry-tenant': 'contoso.onmicrosoft.com' });
  });

  it('does not resolve a secret whose tag names another tenant, even under a matching name', async () => {
    const secrets = new InMemorySecrets();
    const vault = new KeyVaultSecretVault(secrets);
    const ref = await vault.put('tenant-a', 'pw');
    secrets.stored.get(ref.slice(3))!.tags = { 'mailferry-tenant': 'tenant-b' };
    await expect(vault.get('tenant-a', ref)).rejects.toThrow(/not available for this tenant/);
  });
});
