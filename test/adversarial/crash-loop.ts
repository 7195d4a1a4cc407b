/**
 * A worker SIGKILLed again and again during one pass on one mailbox, at seeded random points:
 * some at its first write (connected, folders planned, nothing copied), most after a random number
 * of copies. Each kill lands at a gate (copy-gate.ts): the worker holds after that many confirmed
 * writes, the last one stored at the destination but not yet in the ledger, so a seed names the
 * same kill points on every machine. Each restart must resume where the ledger says; the caller
 * checks the end state.
 */
import type { Pass } from '../../api/core/model.js';
import { LOCAL_TENANT, type EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { waitForPass } from '../support/migration-fixture.js';
import { Prng } from '../bench/prng.js';
import { COPY_GATE_ENV } from '../support/copy-gate.js';
import { startWorker, stopWorker, workerAtGate, workerReady } from '../support/worker-child.js';
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
  /** Where each kill landed: after how many of that worker's writes, or after the pass ended. */
  moments: string[];
}

/** Share of kills that land at the worker's first write (connected, folders planned), before it copied anything. */
const EARLY_KILL_SHARE = 0.25;
/** A kill waits at most this long for the worker to reach its gate or the pass to end. */
const PROGRESS_WAIT_MS = 60_000;

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
    // Spread the remaining kills over what is left to copy, each at a random point of its share.
    const before = await options.copied();
    const share = Math.max(1, Math.floor((options.total - before) / (options.kills - kill + 1)));
    const copies = prng.chance(EARLY_KILL_SHARE) ? 0 : prng.int(1, share);
    const worker = startWorker(options.dataDir, { [COPY_GATE_ENV]: String(copies) });
    try {
      await workerReady(worker);
      // Whichever comes first: the worker holds at its gate, or the pass ends (what was left took fewer writes).
      const stop = new AbortController();
      const atGate = workerAtGate(worker, PROGRESS_WAIT_MS).then((n) => `after ${n} writes (ledger at ${before} before)`);
      const passEnded = waitUntil('the pass to end', ended, { timeoutMs: PROGRESS_WAIT_MS, signal: stop.signal }).then(
        () => 'after the pass ended',
      );
      try {
        moments.push(await Promise.race([atGate, passEnded]));
      } catch (error) {
        throw new Error(
          `kill ${kill + 1}: the worker neither reached its gate of ${copies} writes nor ended the pass (${await options.describe()}): ${(error as Error).message}`,
        );
      } finally {
        stop.abort();
        atGate.catch(() => undefined); // the kill below ends the loser
        passEnded.catch(() => undefined);
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
  const startFull = async () =>
    (await runtime.services.passes.startPass(LOCAL_TENANT, options.projectId, { kind: 'full', itemIds: [itemId], itemTypes: ['mail'] }))
      .pass.id;
  let passId = await startFull();
  const loop = await crashLoop({
    dataDir: options.dataDir,
    kills: options.kills,
    seed: options.seed,
    total: options.total,
    copied: () => runtime.store.ledger.countDone(LOCAL_TENANT, itemId),
    running: async () => (await runtime.services.passes.getPass(LOCAL_TENANT, passId)).status !== 'completed',
    startNextPass: async () => {
      passId = await startFull();
    },
    describe: async () => {
      const [pass, item, dead] = await Promise.all([
        runtime.services.passes.getPass(LOCAL_TENANT, passId),
        runtime.services.items.getItem(LOCAL_TENANT, itemId),
        runtime.queue.deadLetters(LOCAL_TENANT),
      ]);
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
