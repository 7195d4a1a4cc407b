/**
 * A worker SIGKILLed again and again during one pass on one mailbox, at seeded random moments:
 * some while it starts (connecting, planning folders), most after a random share of the copy.
 * Each restart must resume where the ledger says; the caller checks the end state.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE } from '../../api/local/embedded-runtime.js';
import { Prng } from '../bench/prng.js';
import { startWorker, stopWorker, waitUntil, workerReady } from '../support/worker-child.js';

export interface CrashLoopOptions {
  dataDir: string;
  kills: number;
  seed: number;
  /** Source items of the pass, for spreading kill points over the copy. */
  total: number;
  /** Items the ledger records as copied so far. */
  copied(): Promise<number>;
  /** True once the pass has ended (then there is nothing left to kill). */
  ended(): Promise<boolean>;
}

export interface CrashLoopResult {
  kills: number;
  /** Where each kill landed: ms after the worker took the job, or the ledger count it waited for. */
  moments: string[];
}

/** Share of kills that land just after the worker took the job (connecting, planning folders), before any copy progress is awaited. */
const EARLY_KILL_SHARE = 0.25;
const EARLY_KILL_MAX_MS = 400;
/** A kill waits for at most this long for its ledger target; a worker that made no progress is killed anyway. */
const PROGRESS_WAIT_MS = 30_000;

export async function crashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const prng = new Prng(options.seed);
  const moments: string[] = [];
  for (let kill = 0; kill < options.kills; kill++) {
    if (await options.ended()) break;
    const worker = startWorker(options.dataDir);
    try {
      await workerReady(worker);
      // A restarted worker gets the job once the killed one's lease expires; kill only a worker that holds it.
      await waitUntil(async () => holdsJob(options.dataDir, worker.pid!) || (await options.ended()), PROGRESS_WAIT_MS);
      if (prng.chance(EARLY_KILL_SHARE)) {
        const ms = prng.int(0, EARLY_KILL_MAX_MS);
        await new Promise((resolve) => setTimeout(resolve, ms));
        moments.push(`${ms} ms into the job`);
      } else {
        // Spread the remaining kills over what is left to copy, each at a random point of its share.
        const before = await options.copied();
        const share = Math.max(1, Math.floor((options.total - before) / (options.kills - kill + 1)));
        const target = before + prng.int(1, share);
        await waitUntil(async () => (await options.copied()) >= target || (await options.ended()), PROGRESS_WAIT_MS).catch(() => undefined);
        moments.push(`copied ${await options.copied()} (target ${target})`);
      }
    } finally {
      await stopWorker(worker, 'SIGKILL');
    }
  }
  return { kills: moments.length, moments };
}

/** Whether the worker process `pid` holds a lease in the embedded queue (worker ids end in `:<pid>`). */
function holdsJob(dataDir: string, pid: number): boolean {
  const db = new Database(join(dataDir, DB_FILE), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT count(*) AS n FROM jobs WHERE state = 'leased' AND worker_id LIKE ?").get(`%:${pid}`) as { n: number };
    return row.n > 0;
  } finally {
    db.close();
  }
}
