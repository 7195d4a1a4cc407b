/**
 * The runtime's workers in a child process (test/support/worker-process.ts), for tests that
 * SIGKILL a worker mid-pass and restart it on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { GATE_LINE } from './copy-gate.js';
import { DEFAULT_WAIT_TIMEOUT_MS } from './wait-until.js';

/** `env` adds to the child's environment (Graph tests: the token endpoint and its CA). */
export function startWorker(dataDir: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
}

/** Resolves once the worker has opened the runtime and started polling (it prints "ready"). */
export function workerReady(child: ChildProcess): Promise<void> {
  return workerSays(child, 'ready', 'became ready').then(() => undefined);
}

/**
 * A worker started with `{ [COPY_GATE_ENV]: String(copies) }`: resolves with the destination
 * writes it had confirmed once it holds at its gate (copy-gate.ts), where the caller kills it.
 */
export async function workerAtGate(child: ChildProcess, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<number> {
  const line = await workerSays(child, GATE_LINE, 'reached its copy gate', timeoutMs);
  return Number(line.split(' ')[1]);
}

/** The first line the worker prints that starts with `word`; fails loudly if it exits or stays silent. */
function workerSays(child: ChildProcess, word: string, what: string, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const line = seen.split('\n').find((l, i, lines) => i < lines.length - 1 && (l === word || l.startsWith(`${word} `)));
      if (line !== undefined) done(() => resolve(line));
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(() => reject(new Error(`the worker exited (${signal ?? code}) before it ${what}; it printed: ${JSON.stringify(seen)}`)));
    // A timer that fails the wait, not a sleep: a worker that never gets there must not hang the test.
    const timer = setTimeout(
      () => done(() => reject(new Error(`Waited ${timeoutMs} ms, in vain: the worker never ${what}; it printed: ${JSON.stringify(seen)}`))),
      timeoutMs,
    );
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Sends `signal` and waits until the process is gone. */
export async function stopWorker(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
