/**
 * A worker SIGKILLed again and again during one pass on one mailbox, at seeded random moments:
 * some while it starts (connecting, planning folders), most after a random share of the copy.
 * Each restart must resume where the ledger says; the caller checks the end state.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Pass } from '../../api/core/model.js';
import { DB_FILE, LOCAL_TENANT, type EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { waitForPass } from '../support/migration-fixture.js';
import { Prng } from '../bench/prng.js';
import { startWorker, stopWorker, workerReady } from '../support/worker-child.js';
import { waitUntil } from '../support/wait-until.js';

export interface CrashLoopOptions {
  dataDir: string;
  kills: number;
  seed: number;
  /** Source items of the pass, for spreading kill points over the copy. */
  total: number;
  /** Items the ledger records as copied so far. */
  copied(): Promise<number>;
  /** True while the current pass runs. */
  running(): Promise<boolean>;
  /**
   * Starts another full pass (the delta pass an admin would start). The queue gives a job up
   * after JOB_MAX_ATTEMPTS lease expiries, so a mailbox killed more often than that is finished
   * by the next pass, which must resume from the ledger as a restarted worker does.
   */
  startNextPass(): Promise<void>;
  /** The pass and item as they stand, for a failure message. */
  describe(): Promise<string>;
}

export interface CrashLoopResult {
  kills: number;
  /** Passes the kills spanned (1 unless the queue gave the job up). */
  passes: number;
  /** Where each kill landed: ms after the worker took the job, or the ledger count it waited for. */
  moments: string[];
}

/** Share of kills that land just after the worker took the job (connecting, planning folders), before any copy progress is awaited. */
const EARLY_KILL_SHARE = 0.25;
const EARLY_KILL_MAX_MS = 400;
const IN_BATCH_MAX_MS = 300;
/** A kill waits for at most this long for its ledger target; a worker that made no progress is killed anyway. */
const PROGRESS_WAIT_MS = 30_000;

export async function crashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const prng = new Prng(options.seed);
  const moments: string[] = [];
  let passes = 1;
  const ended = async () => !(await options.running());
  for (let kill = 0; kill < options.kills; kill++) {
    if (await ended()) {
      if ((await options.copied()) >= options.total) break;
      await options.startNextPass();
      passes++;
    }
    const worker = startWorker(options.dataDir);
    try {
      await workerReady(worker);
      // A restarted worker gets the job once the killed one's lease expires; kill only a worker that holds it.
      await waitUntil('the worker to lease a job', async () => holdsJob(options.dataDir, worker.pid!) || (await ended()), { timeoutMs: PROGRESS_WAIT_MS })
        .catch(async () => {
          throw new Error(`kill ${kill + 1}: the restarted worker never took the job (${await options.describe()})`);
        });
      if (prng.chance(EARLY_KILL_SHARE)) {
        const ms = prng.int(0, EARLY_KILL_MAX_MS);
        await new Promise((resolve) => setTimeout(resolve, ms));
        moments.push(`${ms} ms into the job`);
      } else {
        // Spread the remaining kills over what is left to copy, each at a random point of its share.
        const before = await options.copied();
        const share = Math.max(1, Math.floor((options.total - before) / (options.kills - kill + 1)));
        const target = before + prng.int(1, share);
        await waitUntil(`the worker to copy ${target} messages`, async () => (await options.copied()) >= target || (await ended()), { timeoutMs: PROGRESS_WAIT_MS }).catch(() => undefined);
        // The ledger moves a batch at a time: a random delay puts the kill inside the next batch.
        const ms = prng.int(0, IN_BATCH_MAX_MS);
        await new Promise((resolve) => setTimeout(resolve, ms));
        moments.push(`copied ${target}+ and ${ms} ms`);
      }
    } finally {
      await stopWorker(worker, 'SIGKILL');
    }
  }
  if ((await ended()) && (await options.copied()) < options.total) {
    await options.startNextPass();
    passes++;
  }
  return { kills: moments.length, passes, moments };
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

export interface CrashedPassOptions {
  runtime: EmbeddedRuntime;
  dataDir: string;
  projectId: string;
  itemId: string;
  /** Source items of the mailbox. */
  total: number;
  kills: number;
  seed: number;
  timeoutMs: number;
}

/**
 * Full passes on one item with the worker killed `kills` times, then a last worker that finishes:
 * returns the loop's record and the pass that completed the copy.
 */
export async function runCrashedPass(options: CrashedPassOptions): Promise<CrashLoopResult & { last: Pass }> {
  const { runtime, itemId } = options;
  const startFull = async () => (await runtime.services.passes.startPass(LOCAL_TENANT, options.projectId, { kind: 'full', itemIds: [itemId], itemTypes: ['mail'] })).pass.id;
  let passId = await startFull();
  const loop = await crashLoop({
    dataDir: options.dataDir, kills: options.kills, seed: options.seed, total: options.total,
    copied: () => runtime.store.ledger.countDone(LOCAL_TENANT, itemId),
    running: async () => (await runtime.services.passes.getPass(LOCAL_TENANT, passId)).status !== 'completed',
    startNextPass: async () => void (passId = await startFull()),
    describe: async () => {
      const [pass, item, dead] = await Promise.all([runtime.services.passes.getPass(LOCAL_TENANT, passId), runtime.services.items.getItem(LOCAL_TENANT, itemId), runtime.queue.deadLetters(LOCAL_TENANT)]);
      return `pass ${pass.status}, item ${item.status} ${item.lastRun?.reason ?? ''}, dead letters: ${dead.map((d) => d.reason).join('; ')}`;
    },
  });
  const worker = startWorker(options.dataDir);
  try {
    return { ...loop, last: await waitForPass(runtime, passId, options.timeoutMs) };
  } finally {
    await stopWorker(worker);
  }
}
