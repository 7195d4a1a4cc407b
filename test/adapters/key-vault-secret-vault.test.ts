/**
 * KeyVaultSecretVault through the SecretVault conformance suite. No Key Vault runs on CI machines,
 * so the SDK's SecretClient is replaced by an in-memory one with Key Vault's observable behaviour
 * (test/support/in-memory-key-vault.ts): this proves the adapter's tenant binding, references and
 * delete-then-purge, not the SDK or the service (docs/azure.md: what only real Azure can prove).
 */
import { describe, expect, it } from 'vitest';
import { KeyVaultSecretVault } from '../../api/adapters/key-vault/key-vault-secret-vault.js';
import { describeSecretVaultConformance } from '../conformance/secret-vault-conformance.js';
import { InMemoryKeyVault } from '../support/in-memory-key-vault.js';

describeSecretVaultConformance(
  'KeyVaultSecretVault',
  async () => ({ vault: new KeyVaultSecretVault(new InMemoryKeyVault()), cleanup: async () => undefined }),
  { deletesByReference: true },
);

describe('KeyVaultSecretVault', () => {
  it('names secrets so Key Vault accepts them and tags them with their tenant', async () => {
    const secrets = new InMemoryKeyVault();
    const ref = await new KeyVaultSecretVault(secrets).put('contoso.onmicrosoft.com', 'pw');
    const [[name, stored]] = [...secrets.stored];
    expect(ref).toBe(`kv:${name}`);
    expect(name).toMatch(/^[A-Za-z0-9-]{1,127}$/);
    expect(stored!.tags).toEqual({ 'mailferry-tenant': 'contoso.onmicrosoft.com' });
  });

  it('does not resolve a secret whose tag names another tenant, even under a matching name', async () => {
    const secrets = new InMemoryKeyVault();
    const vault = new KeyVaultSecretVault(secrets);
    const ref = await vault.put('tenant-a', 'pw');
    secrets.stored.get(ref.slice(3))!.tags = { 'mailferry-tenant': 'tenant-b' };
    await expect(vault.get('tenant-a', ref)).rejects.toThrow(/not available for this tenant/);
  });

  it('purges what it deletes, so nothing is left to recover', async () => {
    const secrets = new InMemoryKeyVault();
    const vault = new KeyVaultSecretVault(secrets);
    const ref = await vault.put('tenant-a', 'pw');
    await vault.delete('tenant-a', ref);
    expect(secrets.held).toBe(0);
  });

  it('leaves the secret soft-deleted when the vault forbids purging, and a retried delete still succeeds', async () => {
    const secrets = new InMemoryKeyVault({ purgeProtection: true });
    const vault = new KeyVaultSecretVault(secrets);
    const ref = await vault.put('tenant-a', 'pw');
    await vault.delete('tenant-a', ref);
    await vault.delete('tenant-a', ref);
    expect([...secrets.stored.values()].map((s) => s.deleted)).toEqual([true]);
    await expect(vault.get('tenant-a', ref)).rejects.toThrow(/not available/);
  });

  it('finishes the purge of a secret whose earlier delete stopped after the soft delete', async () => {
    const secrets = new InMemoryKeyVault();
    const vault = new KeyVaultSecretVault(secrets);
    const ref = await vault.put('tenant-a', 'pw');
    await secrets.beginDeleteSecret(ref.slice('kv:'.length));
    await vault.delete('tenant-a', ref);
    expect(secrets.held).toBe(0);
  });
});
