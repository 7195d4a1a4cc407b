/**
 * Owner-only access for what the embedded host keeps on disk: its data directory (mode 0700)
 * and the SQLite files (0600), which hold vault references, logins and mailbox state. A default
 * umask would leave them readable by every local user (0755/0644).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

const PRIVATE_DIRECTORY_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;
const GROUP_OR_WORLD_BITS = 0o077;
/** SQLite's companions of a WAL database (https://sqlite.org/tempfiles.html). */
const SQLITE_COMPANIONS = ['-wal', '-shm', '-journal'];

/** Creates the directory 0700, or takes group and world access away from an existing one. */
export function ensurePrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  restrict(dir, PRIVATE_DIRECTORY_MODE);
}

/**
 * Creates the database file 0600 before SQLite does (SQLite then gives its -wal and -shm files the
 * database file's mode), and narrows files an older version created with the umask's mode.
 */
export function ensurePrivateDatabaseFiles(dbPath: string): void {
  if (!existsSync(dbPath)) closeSync(openSync(dbPath, 'a', PRIVATE_FILE_MODE));
  for (const path of [dbPath, ...SQLITE_COMPANIONS.map((suffix) => dbPath + suffix)]) {
    if (existsSync(path)) restrict(path, PRIVATE_FILE_MODE);
  }
}

function restrict(path: string, mode: number): void {
  // POSIX mode bits mean nothing on Windows; there the profile directory's ACL protects the data.
  if (process.platform === 'win32') return;
  if ((statSync(path).mode & GROUP_OR_WORLD_BITS) !== 0) chmodSync(path, mode);
}
