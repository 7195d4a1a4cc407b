/**
 * The runtime's workers in a child process (test/support/worker-process.ts), for tests that
 * SIGKILL a worker mid-pass and restart it on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** `env` adds to the child's environment (Graph tests: the token endpoint and its CA). */
export function startWorker(dataDir: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts', dataDir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
}

/** Resolves once the worker has opened the runtime and started polling (it prints "ready"). */
export function workerReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('ready\n')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready`)));
  });
}

/** Sends `signal` and waits until the process is gone. */
export async function stopWorker(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
