/**
 * The SecretVault conformance suite: the file vault runs it today, Key Vault next.
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

export function describeSecretVaultConformance(name: string, makeVault: () => Promise<SecretVaultUnderTest>): void {
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

    it('accepts a delete of a reference it issued', async () => {
      const ref = await vault().put(TENANT_A, SECRET);
      await expect(vault().delete(TENANT_A, ref)).resolves.toBeUndefined();
    });
  });
}
