import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LINK_KEY_FILE = 'link.key';
const LINK_KEY_BYTES = 32;

/** The HMAC key that signs end-user credential links, created once beside the vault key (mode 0600). */
export async function loadOrCreateLinkKey(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, LINK_KEY_FILE);
  try {
    const key = await readFile(path);
    if (key.length >= LINK_KEY_BYTES) return key;
    throw new Error(
      `${path} holds ${key.length} bytes; a link key needs ${LINK_KEY_BYTES}. Delete it to have a new one made (outstanding links stop working).`,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = randomBytes(LINK_KEY_BYTES);
    await writeFile(path, key, { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    return readFile(path);
  }
}
