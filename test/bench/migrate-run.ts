/**
 * `mailferry migrate` as a user runs it: a fresh `node dist/api/local/cli.js` process per run, so
 * the wall time includes Node's start and every module the command loads.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DovecotServer } from '../support/dovecot.js';

const CLI_PATH = fileURLToPath(new URL('../../api/local/cli.js', import.meta.url));

export interface MigrateRun {
  wallSeconds: number;
  exitCode: number | null;
  /** The command's `--json` summary line. */
  summary?: { status: string; copied: number; skipped: number; failed: number; flagsUpdated?: number };
  stderr: string;
}

export async function runMigrate(
  source: { server: DovecotServer; user: string },
  destination: { server: DovecotServer; user: string },
  dataDir: string,
): Promise<MigrateRun> {
  const url = (side: { server: DovecotServer; user: string }) => `imap://${side.user}@${side.server.host}:${side.server.port}`;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [CLI_PATH, 'migrate', '--from', url(source), '--to', url(destination), '--data', dataDir, '--json'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        MAILFERRY_FROM_PASSWORD: source.server.users[source.user],
        MAILFERRY_TO_PASSWORD: destination.server.users[destination.user],
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const last = stdout.trim().split('\n').pop() ?? '';
  return { wallSeconds, exitCode, summary: last.startsWith('{') ? JSON.parse(last) : undefined, stderr: stderr.slice(-2_000) };
}
