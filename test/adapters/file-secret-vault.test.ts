import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../api/core/errors.js';
import { FileSecretVault, VAULT_KEY_FILE } from '../../api/adapters/file-secret-vault.js';
import { SqliteStore } from '../../api/adapters/sqlite/sqlite-store.js';
import { describeSecretVaultConformance } from '../conformance/secret-vault-conformance.js';
import { endpointSpec, TENANT_A } from '../conformance/store-fixtures.js';
import { makeTempDir, type TempDir } from './temp-dir.js';

const SECRET = 'Correct-Horse-Battery-Staple-42';
const skipOnWindows = process.platform === 'win32';

describeSecretVaultConformance(
  'FileSecretVault',
  async () => {
    const dir = makeTempDir();
    return { vault: new FileSecretVault(dir.path), cleanup: async () => dir.remove() };
  },
  { deletesByReference: false },
);

describe('FileSecretVault', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  it.skipIf(skipOnWindows)('creates a 32-byte key file readable by its owner only, on first use', async () => {
    const vault = new FileSecretVault(dir.file('data'));
    expect(existsSync(dir.file(`data/${VAULT_KEY_FILE}`))).toBe(false);
    await vault.put(TENANT_A, SECRET);
    const keyFile = dir.file(`data/${VAULT_KEY_FILE}`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile)).toHaveLength(32);
  });

  it('reads secrets written by an earlier process from the same key file', async () => {
    const ref = await new FileSecretVault(dir.path).put(TENANT_A, SECRET);
    expect(await new FileSecretVault(dir.path).get(TENANT_A, ref)).toBe(SECRET);
  });

  it('cannot read a reference written under another key', async () => {
    const ref = await new FileSecretVault(dir.file('one')).put(TENANT_A, SECRET);
    await expect(new FileSecretVault(dir.file('two')).get(TENANT_A, ref)).rejects.toBeInstanceOf(NotFoundError);
  });

  it.skipIf(skipOnWindows)('refuses to start with a key file that other users can read, and says how to fix it', async () => {
    await FileSecretVault.open(dir.path);
    chmodSync(dir.file(VAULT_KEY_FILE), 0o644);
    await expect(FileSecretVault.open(dir.path)).rejects.toThrow(/readable by other users.*chmod 600/s);
    chmodSync(dir.file(VAULT_KEY_FILE), 0o600);
    await expect(FileSecretVault.open(dir.path)).resolves.toBeInstanceOf(FileSecretVault);
  });

  it('refuses to start with a key file of the wrong length', async () => {
    writeFileSync(dir.file(VAULT_KEY_FILE), Buffer.alloc(16), { mode: 0o600 });
    await expect(FileSecretVault.open(dir.path)).rejects.toThrow(/holds 16 bytes, not 32/);
  });

  it('issues references of the form v1.<iv>.<tag>.<ciphertext>', async () => {
    const ref = await new FileSecretVault(dir.path).put(TENANT_A, SECRET);
    expect(ref).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
  });

  it('rejects an altered ciphertext as unreadable and a malformed reference as invalid', async () => {
    const vault = new FileSecretVault(dir.path);
    const [version, iv, tag, ciphertext] = (await vault.put(TENANT_A, SECRET)).split('.');
    const flipped = Buffer.from(ciphertext!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    await expect(vault.get(TENANT_A, [version, iv, tag, flipped.toString('base64url')].join('.'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(vault.get(TENANT_A, 'plain-text-password')).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps a reference readable after delete, because the reference is the ciphertext', async () => {
    const vault = new FileSecretVault(dir.path);
    const ref = await vault.put(TENANT_A, SECRET);
    await vault.delete(TENANT_A, ref);
    expect(await vault.get(TENANT_A, ref)).toBe(SECRET);
  });

  it('leaves no clear secret in the SQLite file that stores its reference', async () => {
    const vault = new FileSecretVault(dir.path);
    const store = SqliteStore.open(dir.file('mailferry.db'));
    const ref = await vault.put(TENANT_A, SECRET);
    await store.endpoints.insert({ ...endpointSpec.make(TENANT_A, 'e1'), adminLogin: 'admin', adminSecretRef: ref });
    await store.close();
    const bytes = ['mailferry.db', 'mailferry.db-wal']
      .filter((name) => existsSync(dir.file(name)))
      .map((name) => readFileSync(dir.file(name)).toString('latin1'))
      .join('');
    expect(bytes).toContain(ref);
    expect(bytes).not.toContain(SECRET);
  });
});

describe('FileSecretVault started by several callers at once', () => {
  it('ends with one key file that every caller uses and no temporary files', async () => {
    const dir = makeTempDir();
    try {
      const vaults = Array.from({ length: 8 }, () => new FileSecretVault(dir.path));
      const refs = await Promise.all(vaults.map((vault, index) => vault.put(TENANT_A, `secret-${index}`)));
      const readBack = await Promise.all(refs.map((ref) => new FileSecretVault(dir.path).get(TENANT_A, ref)));
      expect(readBack).toEqual(refs.map((_, index) => `secret-${index}`));
      expect(readdirSync(dir.path)).toEqual([VAULT_KEY_FILE]);
    } finally {
      dir.remove();
    }
  });
});
