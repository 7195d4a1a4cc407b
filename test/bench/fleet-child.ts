/**
 * Child process of `npm run bench:fleet`: the embedded host exactly as `npm start` runs it
 * (EmbeddedRuntime, its worker pool and SQLite store and queue), moving many mailboxes in one
 * process, so the RSS measured is the worker's alone. First one mailbox alone (the rate a single
 * mailbox gets), then the fleet in one pass. Every Store and JobQueue call is timed (SQLite is
 * synchronous here, so a call's wall time is its cost). Config on stdin, one JSON line on stdout.
 */
import { readFileSync } from 'node:fs';
import type { EngineLog } from '../../api/core/engine/job-context.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';

export interface FleetMailbox {
  source: string;
  destination: string;
}

export interface FleetChildConfig {
  dataDir: string;
  host: string;
  port: number;
  /** user → password, for every source and destination login below. */
  passwords: Record<string, string>;
  /** Moved alone first, in a project of its own. */
  alone: FleetMailbox;
  fleet: FleetMailbox[];
  concurrency: number;
}

export interface FleetItemResult {
  source: string;
  status: string;
  copied: number;
  failed: number;
  reason?: string;
}

export interface FleetChildResult {
  alone: { seconds: number; copied: number; status: string };
  fleet: { seconds: number; copied: number; items: FleetItemResult[] };
  rssMB: { start: number; atMailbox20?: number; middle?: number; atLastMailbox?: number; end: number; peak: number; vmHwm: number };
  /** Live V8 heap after a full collection at the same marks: whether what the worker keeps grows with the mailboxes done. */
  liveHeapMB: { start: number; atMailbox20?: number; middle?: number; atLastMailbox?: number };
  /** Wall time of every Store and JobQueue call during the fleet pass, divided by its jobs. */
  perJobMs: { store: number; queue: number; storeCalls: number; queueCalls: number };
  /** From the pass's start to each job's lease by a worker (waiting for a slot), in seconds. */
  queueWaitSeconds: { mean: number; max: number };
}

const RSS_SAMPLE_MS = 100;
const MB = 1024 * 1024;

type Timer = { ms: number; calls: number };

/** Replaces every method of `target` (own and inherited) with one that adds its duration to `timer`. */
function timeMethods(target: object, timer: Timer): void {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(target); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
  }
  const record = target as Record<string, unknown>;
  for (const name of names) {
    const original = record[name];
    if (typeof original !== 'function') continue;
    record[name] = function timed(this: unknown, ...args: unknown[]) {
      const started = performance.now();
      const result = (original as (...a: unknown[]) => unknown).apply(target, args);
      const done = () => {
        timer.ms += performance.now() - started;
        timer.calls++;
      };
      if (result instanceof Promise) return result.finally(done);
      done();
      return result;
    };
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(0, 'utf8')) as FleetChildConfig;
  let finished = 0;
  const log: EngineLog = {
    info: (message) => {
      if (message.startsWith('Item finished')) finished++;
    },
    warn: (message, fields) => console.error(`warn: ${message}`, fields ?? ''),
    error: (message, fields) => console.error(`error: ${message}`, fields ?? ''),
  };
  const runtime = await EmbeddedRuntime.open({ dataDir: config.dataDir, log, concurrency: config.concurrency });
  try {
    const { projects, items, passes } = runtime.services;
    const endpoint = (name: string) =>
      projects.createEndpoint(LOCAL_TENANT, {
        name,
        kind: 'imap',
        host: config.host,
        port: config.port,
        security: 'none',
        allowSelfSigned: false,
        adminMode: 'none',
        authMechanism: 'password',
        domains: [],
      });
    const [source, destination] = [await endpoint('fleet source'), await endpoint('fleet destination')];
    const project = (name: string) =>
      projects.createProject(LOCAL_TENANT, {
        name,
        sourceEndpointId: source.id,
        destinationEndpointId: destination.id,
        options: [],
        maxConcurrentMigrations: config.concurrency,
      });
    const addItem = (projectId: string, m: FleetMailbox) =>
      items.addItem(LOCAL_TENANT, projectId, {
        sourceAddress: `${m.source}@src.fleet`,
        destinationAddress: `${m.destination}@dst.fleet`,
        sourceLogin: m.source,
        sourcePassword: config.passwords[m.source],
        destinationLogin: m.destination,
        destinationPassword: config.passwords[m.destination],
        endUserCredentials: false,
        options: [],
      });
    runtime.startWorkers();

    // One mailbox alone: what a single mailbox achieves on this machine now.
    const aloneProject = await project('fleet: one mailbox alone');
    const aloneItem = await addItem(aloneProject.id, config.alone);
    let started = performance.now();
    const alonePass = await passes.startPass(LOCAL_TENANT, aloneProject.id, { kind: 'full', itemIds: [aloneItem.id], itemTypes: ['mail'] });
    await runtime.passEnded(alonePass.pass.id);
    const aloneSeconds = (performance.now() - started) / 1000;
    const aloneRun = (await items.getItem(LOCAL_TENANT, aloneItem.id)).lastRun;

    const fleetProject = await project('fleet');
    const fleetItems = [];
    for (const m of config.fleet) fleetItems.push(await addItem(fleetProject.id, m));
    (globalThis as { gc?: () => void }).gc?.();

    const store: Timer = { ms: 0, calls: 0 };
    const queue: Timer = { ms: 0, calls: 0 };
    const s = runtime.store;
    for (const part of [s.projects, s.endpoints, s.items, s.passes, s.workgroups, s.groupSlots, s.ledger, s.errors, s.cursors])
      timeMethods(part, store);
    // When each job was leased: its wait in the queue. Recorded under the timing wrapper.
    const leasedAt = new Map<string, number>();
    const lease = runtime.queue.lease.bind(runtime.queue);
    runtime.queue.lease = async (workerId, lockMs) => {
      const job = await lease(workerId, lockMs);
      if (job && !leasedAt.has(job.payload.itemId)) leasedAt.set(job.payload.itemId, performance.now());
      return job;
    };
    timeMethods(runtime.queue, queue);

    const rss = () => process.memoryUsage().rss / MB;
    const liveHeap = () => {
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().heapUsed / MB;
    };
    const heap: FleetChildResult['liveHeapMB'] = { start: liveHeap() };
    const marks: FleetChildResult['rssMB'] = { start: rss(), end: 0, peak: rss(), vmHwm: 0 };
    const total = config.fleet.length;
    const middle = Math.ceil(total / 2);
    const sampler = setInterval(() => {
      const now = rss();
      marks.peak = Math.max(marks.peak, now);
      if (finished >= Math.min(20, total) && marks.atMailbox20 === undefined) [marks.atMailbox20, heap.atMailbox20] = [now, liveHeap()];
      if (finished >= middle && marks.middle === undefined) [marks.middle, heap.middle] = [now, liveHeap()];
      if (finished >= total && marks.atLastMailbox === undefined) [marks.atLastMailbox, heap.atLastMailbox] = [now, liveHeap()];
    }, RSS_SAMPLE_MS);

    finished = 0;
    started = performance.now();
    const fleetPass = await passes.startPass(LOCAL_TENANT, fleetProject.id, {
      kind: 'full',
      itemIds: fleetItems.map((i) => i.id),
      itemTypes: ['mail'],
    });
    await runtime.passEnded(fleetPass.pass.id);
    const fleetSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    marks.end = rss();
    // A pass whose last items ended between two samples: those marks are the end's.
    marks.atMailbox20 ??= marks.end;
    marks.middle ??= marks.end;
    marks.atLastMailbox ??= marks.end;
    heap.atLastMailbox ??= liveHeap();
    marks.peak = Math.max(marks.peak, marks.end);
    const vmHwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    marks.vmHwm = vmHwm ? Number(vmHwm[1]) / 1024 : 0;
    const results: FleetItemResult[] = [];
    for (const item of fleetItems) {
      const run = (await items.getItem(LOCAL_TENANT, item.id)).lastRun;
      results.push({
        source: item.sourceLogin ?? item.sourceAddress,
        status: run?.status ?? '?',
        copied: run?.copied ?? 0,
        failed: run?.failed ?? 0,
        reason: run?.reason,
      });
    }
    const waits = fleetItems.map((item) => ((leasedAt.get(item.id) ?? started) - started) / 1000);
    const result: FleetChildResult = {
      alone: { seconds: aloneSeconds, copied: aloneRun?.copied ?? 0, status: aloneRun?.status ?? '?' },
      fleet: { seconds: fleetSeconds, copied: results.reduce((sum, r) => sum + r.copied, 0), items: results },
      rssMB: marks,
      liveHeapMB: heap,
      perJobMs: { store: store.ms / total, queue: queue.ms / total, storeCalls: store.calls / total, queueCalls: queue.calls / total },
      queueWaitSeconds: { mean: waits.reduce((a, b) => a + b, 0) / waits.length, max: Math.max(...waits) },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await runtime.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
