/**
 * The SecretVault conformance suite, run by the file vault and the Key Vault vault.
 * `makeVault` returns a fresh vault per test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../api/core/errors.js';
import type { SecretVault } from '../../api/core/ports.js';

export interface SecretVaultUnderTest {
  vault: SecretVault;
  cleanup(): Promise<void>;
}

const TENANT_A = 'tenant-a';
const TENANT_B = 'tenant-b';
const SECRET = 'Sommer2026!-pässwörd';

export interface SecretVaultTraits {
  /**
   * The vault keeps secrets apart from their references, so `delete` must make a reference dead.
   * False for a vault whose reference is the ciphertext itself (the file vault): there the
   * secret goes with the record that holds the reference, and delete has nothing to remove.
   */
  deletesByReference: boolean;
}

export function describeSecretVaultConformance(
  name: string,
  makeVault: () => Promise<SecretVaultUnderTest>,
  traits: SecretVaultTraits,
): void {
  describe(`${name} conforms to the SecretVault port`, () => {
    let current: SecretVaultUnderTest | undefined;
    const vault = (): SecretVault => {
      if (!current) throw new Error('The vault is used outside a test.');
      return current.vault;
    };

    beforeEach(async () => {
      current = await makeVault();
    });
    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    it('gives the stored secret back to the tenant that stored it', async () => {
      const long = 'x'.repeat(16_384);
      const refs = await Promise.all([SECRET, '', long].map((value) => vault().put(TENANT_A, value)));
      expect(await Promise.all(refs.map((ref) => vault().get(TENANT_A, ref)))).toEqual([SECRET, '', long]);
    });

    it('returns a reference that does not reveal the secret', async () => {
      const ref = await vault().put(TENANT_A, SECRET);
      expect(ref).not.toContain(SECRET);
      expect(ref).not.toContain(Buffer.from(SECRET).toString('base64'));
      expect(ref).not.toContain(Buffer.from(SECRET).toString('base64url'));
    });

    it('returns a new reference for each put of the same secret', async () => {
      const first = await vault().put(TENANT_A, SECRET);
      const second = await vault().put(TENANT_A, SECRET);
      expect(first).not.toBe(second);
    });

    it("refuses to resolve one tenant's reference for another, without echoing the secret", async () => {
      const ref = await vault().put(TENANT_A, SECRET);
      const failure = await vault()
        .get(TENANT_B, ref)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(NotFoundError);
      expect(String((failure as Error).message)).not.toContain(SECRET);
      expect(JSON.stringify(failure)).not.toContain(SECRET);
    });

    it('accepts a delete of a reference it issued, and the same delete again', async () => {
      const ref = await vault().put(TENANT_A, SECRET);
      await expect(vault().delete(TENANT_A, ref)).resolves.toBeUndefined();
      await expect(vault().delete(TENANT_A, ref)).resolves.toBeUndefined();
    });

    it.runIf(traits.deletesByReference)('no longer resolves a deleted reference, and keeps the others', async () => {
      const [gone, kept] = [await vault().put(TENANT_A, SECRET), await vault().put(TENANT_A, 'other')];
      await vault().delete(TENANT_A, gone);
      await expect(vault().get(TENANT_A, gone)).rejects.toBeInstanceOf(NotFoundError);
      expect(await vault().get(TENANT_A, kept)).toBe('other');
    });

    it.runIf(traits.deletesByReference)("does not delete another tenant's secret", async () => {
      const ref = await vault().put(TENANT_A, SECRET);
      await vault().delete(TENANT_B, ref);
      expect(await vault().get(TENANT_A, ref)).toBe(SECRET);
    });
  });
}
