/**
 * Runs one of the package's test-server scripts (`npm run ews-server`, `npm run graph-server`)
 * as a separate process the way its CLI tests need: the script's command without npm in between
 * (npm 11 does not pass SIGINT on to the script's process tree, while tsx relays signals to the
 * node process it starts and exits with its code), in its own process group so a failed test can
 * stop exactly this tree, resolved once it printed `READY` with its `KEY=value` lines.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from './ews/schema-validator.js';

const READY_TIMEOUT_MS = 60_000;

export interface RunningScript {
  child: ChildProcessWithoutNullStreams;
  /** The `KEY=value` lines printed before READY. */
  values: Record<string, string>;
  output: () => string;
}

/** The package script's command line, e.g. ['…/node_modules/.bin/tsx', 'test/support/ews/cli.ts']. */
export function scriptCommand(script: string): string[] {
  const root = findRepoRoot();
  const line = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts[script];
  if (!line) throw new Error(`package.json has no script ${script}`);
  const [bin, ...rest] = line.split(' ');
  return [join(root, 'node_modules', '.bin', bin!), ...rest];
}

export function startScript(script: string, args: string[]): Promise<RunningScript> {
  const [bin, ...scriptArgs] = scriptCommand(script);
  const child = spawn(bin!, [...scriptArgs, ...args], { cwd: findRepoRoot(), stdio: 'pipe', detached: true });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready: ${out}${err}`)), READY_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (/^READY$/m.test(out)) {
        clearTimeout(timer);
        const values = Object.fromEntries(
          out
            .split('\n')
            .filter((l) => l.includes('='))
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        );
        resolveStart({ child, values, output: () => out + err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before READY: ${out}${err}`));
    });
  });
}

/** Resolves with the exit code once the process has ended. */
export function stopped(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (code) => r(code))));
}

/** Stops a script a test left running (SIGKILL to its whole process group). */
export async function killScript(running: RunningScript | undefined): Promise<void> {
  if (running && running.child.exitCode === null) {
    process.kill(-running.child.pid!, 'SIGKILL');
    await stopped(running.child);
  }
}

/**
 * For the scripts themselves: stops the server on SIGINT/SIGTERM, printing `summary()` and
 * exiting 0, or printing why `close()` failed (an invalid response it sent) and exiting 1.
 */
export function closeOnSignals(close: () => Promise<void>, summary: () => string): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    close()
      .then(() => {
        process.stdout.write(`stopped on ${signal}: ${summary()}\n`);
        process.exit(0);
      })
      .catch((err: unknown) => {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
