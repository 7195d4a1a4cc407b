/**
 * The embedded SecretVault: AES-256-GCM under a key kept in a file beside the database.
 * The reference IS the ciphertext (`v1.<iv>.<tag>.<ciphertext>`, base64url), so the record that
 * holds it holds the secret, encrypted; there is nothing else to store or delete.
 * The tenant id is GCM additional authenticated data: a reference copied into another
 * tenant's record does not decrypt there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { access, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MailferryError, NotFoundError, ValidationError } from '../core/errors.js';
import type { SecretVault } from '../core/ports.js';

export const VAULT_KEY_FILE = 'vault.key';
const KEY_BYTES = 32;
/** 96-bit IVs are GCM's native size (NIST SP 800-38D §8.2); random per put. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const REF_VERSION = 'v1';
/** Owner read/write only. */
const KEY_FILE_MODE = 0o600;
const GROUP_OR_WORLD_BITS = 0o077;

export class FileSecretVault implements SecretVault {
  private keyPromise?: Promise<Buffer>;

  /** The key file is created on first use; call `open` to check it when the host starts. */
  constructor(private readonly dataDir: string) {}

  /** Creates or checks the key file now, so a bad key file stops the host at start. */
  static async open(dataDir: string): Promise<FileSecretVault> {
    const vault = new FileSecretVault(dataDir);
    await vault.key();
    return vault;
  }

  get keyPath(): string {
    return join(this.dataDir, VAULT_KEY_FILE);
  }

  async put(tenantId: string, value: string): Promise<string> {
    const key = await this.key();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(tenantId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return [REF_VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  async get(tenantId: string, ref: string): Promise<string> {
    const key = await this.key();
    const [version, iv, tag, ciphertext, ...rest] = ref.split('.');
    if (version !== REF_VERSION || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
      throw new ValidationError('This is not a secret reference issued by the file vault.', { field: 'secretRef' });
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
      throw new ValidationError('This is not a secret reference issued by the file vault.', { field: 'secretRef' });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(tenantId, 'utf8'));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // GCM cannot tell a wrong tenant from tampering or another key file; say both, keep no cause
      // (OpenSSL's message adds nothing and must never grow to include data).
      throw new NotFoundError(
        'The secret cannot be read: it belongs to another tenant, was altered, or was written with a different vault key.',
      );
    }
  }

  /** The reference lives in the record that holds it; deleting the record deletes the secret. */
  async delete(_tenantId: string, _ref: string): Promise<void> {}

  private key(): Promise<Buffer> {
    // A failed load is not cached: after the admin fixes the key file, the next call succeeds.
    this.keyPromise ??= this.loadOrCreateKey().catch((error: unknown) => {
      this.keyPromise = undefined;
      throw error;
    });
    return this.keyPromise;
  }

  private async loadOrCreateKey(): Promise<Buffer> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const exists = await access(this.keyPath).then(
      () => true,
      () => false,
    );
    return (!exists && (await this.createKey())) || this.readExistingKey();
  }

  /**
   * Writes the key to a private temporary file, then links it into place: link() fails if the
   * name exists, so of two processes starting together exactly one key wins, and nobody ever
   * reads a half-written key file. Returns undefined when another process won.
   */
  private async createKey(): Promise<Buffer | undefined> {
    const key = randomBytes(KEY_BYTES);
    const temporary = `${this.keyPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temporary, 'wx', KEY_FILE_MODE);
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, this.keyPath);
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw error;
    } finally {
      await unlink(temporary);
    }
  }

  private async readExistingKey(): Promise<Buffer> {
    // POSIX mode bits mean nothing on Windows; there the data directory's ACL protects the key.
    if (process.platform !== 'win32') {
      const { mode } = await stat(this.keyPath);
      if ((mode & GROUP_OR_WORLD_BITS) !== 0) {
        throw new MailferryError(
          'internal',
          `The vault key file ${this.keyPath} is readable by other users (mode ${(mode & 0o777).toString(8)}). ` +
            `Run: chmod 600 "${this.keyPath}", then start again.`,
        );
      }
    }
    const key = await readFile(this.keyPath);
    if (key.length !== KEY_BYTES) {
      throw new MailferryError(
        'internal',
        `The vault key file ${this.keyPath} holds ${key.length} bytes, not ${KEY_BYTES}: it is damaged or not a Mailferry key. ` +
          'Restore it from a backup; without it the stored passwords cannot be read.',
      );
    }
    return key;
  }
}
