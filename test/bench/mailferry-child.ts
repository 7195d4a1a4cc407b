/**
 * Child process for measurements (b) and (c): Mailferry exactly as `mailferry migrate` runs it
 * (EmbeddedRuntime, endpoints with per-item credentials, services.passes.startPass, the worker
 * pool), in a process of its own. Why a child: the bench process held the whole corpus (about
 * 500 MB) for measurement (a); even after dropping it, V8 and malloc keep pages, so an in-process
 * RSS would mostly measure the bench. Here VmHWM (the kernel's own peak RSS) and the 200 ms
 * samples are Mailferry's alone: Node itself, the runtime, SQLite and the copy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { MailConnector } from '../../api/core/connector.js';
import type { EngineLog } from '../../api/core/engine/job-context.js';
import type { ItemType } from '../../api/core/model.js';
import { endpointInput, itemInput, parseInput, passInput } from '../../api/core/schemas.js';
import type { EwsConnectorOptions } from '../../api/connectors/ews/index.js';
import type { ImapConnectorOptions } from '../../api/connectors/imap/imap-connector.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { TimingConnector, type SideTimes } from './timing-connector.js';
import { settledGroupCpuSeconds, threadCpuSeconds } from './proc-cpu.js';

export interface ImapAccount {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ChildConfig {
  dataDir: string;
  /** The two IMAP accounts of the IMAP bench; unused when `project` is given. */
  source?: ImapAccount;
  destination?: ImapAccount;
  connector: ImapConnectorOptions;
  /** Wrap the connector to time the read side and the write side (adds a clock read per message). */
  trace: boolean;
  /**
   * Any pair of endpoints instead of the two IMAP accounts (the EWS bench): endpoint and item
   * bodies as the API takes them, and the item types the pass selects.
   */
  project?: {
    source: Record<string, unknown>;
    destination: Record<string, unknown>;
    item: Record<string, unknown>;
    itemTypes?: ItemType[];
  };
  ews?: EwsConnectorOptions;
  /** Exchange Online over Graph (the Graph bench): where msal-node gets tokens (the test server's endpoint, trusted through NODE_EXTRA_CA_CERTS). */
  graph?: { authorityHost: string };
  /** After the delta, change flags of this many INBOX messages at the source and run one more pass. */
  flagChanges?: number;
  /** Process groups (the Dovecots) whose CPU seconds each pass reports, by name. */
  cpuGroups?: Record<string, number>;
}

export interface PassMeasure {
  seconds: number;
  /** CPU seconds (user + system) this process spent during the pass: Mailferry's own cost. */
  cpuSeconds?: number;
  /** The same by thread: the JavaScript thread, and V8's and libuv's threads together. */
  threadCpuSeconds?: { main: number; others: number };
  /** CPU seconds each of `ChildConfig.cpuGroups` spent during the pass. */
  groupCpuSeconds?: Record<string, number>;
  status: string;
  copied: number;
  skipped: number;
  failed: number;
  bytes: number;
  /** Copies whose flags the pass brought in line with the source's. */
  flagsUpdated?: number;
  reason?: string;
  times?: SideTimes;
}

export interface ChildResult {
  full: PassMeasure;
  delta: PassMeasure;
  /** (e) flags changed at the source after (c), then one more full pass: present with `flagChanges`. */
  flagSync?: PassMeasure & { changed: number };
  /** Max of process.memoryUsage.rss() sampled every RSS_SAMPLE_MS during (b). */
  sampledPeakRssMB: number;
  /** process.memoryUsage() at the sampled peak, in MB: where the memory was (V8 heap, Buffers). */
  memoryAtPeakMB?: Record<string, number>;
  /** /proc/self/status VmHWM after (b): the true peak, between samples too. */
  vmHwmMB: number;
}

/**
 * The sampler only finds where the memory was at the peak (VmHWM is the peak itself): every 50 ms
 * it took 3% of the child's CPU in the Graph bench's profiles (the resident-size read alone, on
 * the loaded 2-core machine), time the pass was charged for.
 */
const RSS_SAMPLE_MS = 200;
const HEAP_SNAPSHOT_AT = 100 * 1024 * 1024;
const MB = 1024 * 1024;
const KB = 1024;
/** Fallback poll in case a pass ends without the onPassEnded log line. */
const PASS_POLL_MS = 1_000;
/** Idle poll of the worker pool; the pass is started before the workers, so it never waits on it. */
const WORKER_POLL_MS = 50;

type PassWaiter = (passId: string) => void;

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(0, 'utf8')) as ChildConfig;
  let snapshotTaken = false;
  let peak = process.memoryUsage().rss;
  let atPeak = process.memoryUsage();
  // process.memoryUsage() walks V8's heap spaces (1–2 ms each on the loaded bench machine): the
  // resident size alone is the cheaper read, and
  // the breakdown is taken only when the resident size reaches a new peak.
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss <= peak && !process.env.BENCH_HEAP_SNAPSHOT) return;
    const usage = process.memoryUsage();
    if (usage.rss > peak) {
      [peak, atPeak] = [usage.rss, usage];
      // BENCH_GC_AT_PEAK=1 (with BENCH_CHILD_FLAGS=--expose-gc): at each new peak, a full collection and what
      // survives it, on stderr: whether the peak's buffers are held or only not yet collected.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (process.env.BENCH_GC_AT_PEAK && gc) {
        gc();
        const mb = (u: NodeJS.MemoryUsage) =>
          `rss ${Math.round(u.rss / MB)} heap ${Math.round(u.heapUsed / MB)} buffers ${Math.round(u.arrayBuffers / MB)}`;
        console.error(`peak ${mb(usage)}; after a full GC ${mb(process.memoryUsage())}`);
      }
    }
    // BENCH_HEAP_SNAPSHOT=DIR: one heap snapshot the first time the live heap passes 100 MB.
    if (process.env.BENCH_HEAP_SNAPSHOT && !snapshotTaken && usage.heapUsed > HEAP_SNAPSHOT_AT) {
      snapshotTaken = true;
      console.error(`heap snapshot: ${writeHeapSnapshot(join(process.env.BENCH_HEAP_SNAPSHOT, `mailferry-${process.pid}.heapsnapshot`))}`);
    }
  }, RSS_SAMPLE_MS);

  // Only the protocols this pass speaks are loaded, as the product's connector registry does.
  const kinds = config.project ? [config.project.source['kind'], config.project.destination['kind']] : ['imap'];
  const overGraph = (endpoint: Record<string, unknown>) => endpoint['kind'] === 'm365' && endpoint['protocol'] === 'graph';
  const ewsKinds = config.project
    ? [config.project.source, config.project.destination].filter((e) => e['kind'] !== 'imap' && !overGraph(e))
    : [];
  const imapConnector = kinds.includes('imap')
    ? new (await import('../../api/connectors/imap/imap-connector.js')).ImapConnector(config.connector)
    : undefined;
  const ewsConnector = ewsKinds.length ? new (await import('../../api/connectors/ews/index.js')).EwsConnector(config.ews) : undefined;
  const pick = (kind: string): MailConnector => {
    const connector = kind === 'imap' ? imapConnector : ewsConnector;
    if (!connector) throw new Error(`The bench child did not load a connector for ${kind}.`);
    return connector;
  };
  // One timing wrapper over both protocols, so a mixed pass (IMAP → EWS) is timed on both sides.
  const timing = config.trace
    ? new TimingConnector({ open: (access, signal) => pick(access.endpoint.kind).open(access, signal) })
    : undefined;
  const lazy = (kind: string): MailConnector => timing ?? { open: (access, signal) => pick(kind).open(access, signal) };
  const graph = config.graph
    ? new (await import('../../api/connectors/graph/index.js')).GraphConnector({
        modernAuth: { authorityHost: config.graph.authorityHost },
      })
    : undefined;
  const connectors = {
    imap: lazy('imap'),
    exchange: lazy('exchange'),
    m365: lazy('m365'),
    'm365-group': lazy('m365-group'),
    ...(graph ? { graph } : {}),
  };
  const full = await runPass(config, connectors, timing);
  clearInterval(sampler);
  const status = procStatusKB();
  const kernel = Object.fromEntries(['RssAnon', 'RssFile', 'RssShmem'].map((k) => [k, Math.round((status[k] ?? 0) / KB)]));
  const breakdown = Object.fromEntries(Object.entries(atPeak).map(([k, v]) => [k, Math.round(v / MB)])) as Record<string, number>;
  const result: Omit<ChildResult, 'delta'> = {
    full,
    sampledPeakRssMB: peak / MB,
    vmHwmMB: ((status['VmHWM'] ?? 0) * KB) / MB,
    memoryAtPeakMB: { ...breakdown, ...kernel },
  };

  // A second `full` in a fresh runtime on the same data dir: what a user's second
  // `mailferry migrate` does; everything is in the ledger, so nothing is copied.
  timing?.reset();
  const delta = await runPass(config, connectors, timing);
  let flagSync: ChildResult['flagSync'];
  if (config.flagChanges && config.source) {
    const changed = await changeSourceFlags(config.source, config.flagChanges);
    flagSync = { ...(await runPass(config, connectors, timing)), changed };
  }
  process.stdout.write(`${JSON.stringify({ ...result, delta, flagSync } satisfies ChildResult)}\n`);
}

/**
 * What a user does between two passes: reads, flags, files as junk. The first `count` messages of
 * INBOX get `\Seen` toggled, `\Flagged` and `$Junk` added and a custom keyword; returns how many.
 */
async function changeSourceFlags(account: ImapAccount, count: number): Promise<number> {
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: account.host,
    port: account.port,
    secure: false,
    logger: false,
    disableAutoIdle: true,
    auth: { user: account.user, pass: account.password },
  });
  await client.connect();
  try {
    const mailbox = await client.mailboxOpen('INBOX');
    const changed = Math.min(count, mailbox.exists);
    if (changed === 0) return 0;
    const range = `1:${changed}`;
    const seen: number[] = [];
    const unseen: number[] = [];
    for await (const msg of client.fetch(range, { flags: true })) (msg.flags?.has('\\Seen') ? seen : unseen).push(msg.seq);
    if (seen.length) await client.messageFlagsRemove(seen.join(','), ['\\Seen']);
    if (unseen.length) await client.messageFlagsAdd(unseen.join(','), ['\\Seen']);
    await client.messageFlagsAdd(range, ['\\Flagged', '$Junk', 'BenchKeyword']);
    return changed;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function runPass(config: ChildConfig, connectors: Record<string, MailConnector>, timing?: TimingConnector): Promise<PassMeasure> {
  let notify: PassWaiter = () => undefined;
  const log: EngineLog = {
    info: (_message, fields) => typeof fields?.passId === 'string' && _message.startsWith('Pass ') && notify(fields.passId),
    warn: (message, fields) => console.error(`warn: ${message}`, fields ?? ''),
    error: (message, fields) => console.error(`error: ${message}`, fields ?? ''),
  };
  const runtime = await EmbeddedRuntime.open({ dataDir: config.dataDir, log, pollMs: WORKER_POLL_MS, connectors });
  try {
    const itemId = await findOrCreateItem(runtime, config);
    const project = (await runtime.services.items.getItem(LOCAL_TENANT, itemId)).projectId;
    const groups = Object.entries(config.cpuGroups ?? {});
    const groupsBefore = await Promise.all(groups.map(([, pgid]) => settledGroupCpuSeconds(pgid)));
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const threadsBefore = threadCpuSeconds();
    const itemTypes = config.project?.itemTypes ?? ['mail'];
    const { pass } = await runtime.services.passes.startPass(
      LOCAL_TENANT,
      project,
      parseInput(passInput, { kind: 'full', itemIds: [itemId], itemTypes }),
    );
    const ended = new Promise<void>((resolve) => (notify = (id) => id === pass.id && resolve()));
    runtime.startWorkers();
    await Promise.race([ended, pollUntilEnded(runtime, pass.id)]);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const threadsAfter = threadCpuSeconds();
    const groupsAfter = await Promise.all(groups.map(([, pgid]) => settledGroupCpuSeconds(pgid)));
    const groupCpu = Object.fromEntries(groups.map(([name], i) => [name, groupsAfter[i]! - groupsBefore[i]!]));
    const item = await runtime.services.items.getItem(LOCAL_TENANT, itemId);
    const run = item.lastRun;
    return {
      seconds,
      cpuSeconds,
      threadCpuSeconds: { main: threadsAfter.main - threadsBefore.main, others: threadsAfter.others - threadsBefore.others },
      ...(groups.length > 0 ? { groupCpuSeconds: groupCpu } : {}),
      status: item.status,
      copied: run?.copied ?? 0,
      skipped: run?.skipped ?? 0,
      failed: run?.failed ?? 0,
      bytes: run?.bytes ?? 0,
      flagsUpdated: run?.flagsUpdated ?? 0,
      reason: run?.reason,
      times: timing?.snapshot(),
    };
  } finally {
    await runtime.close();
  }
}

async function pollUntilEnded(runtime: EmbeddedRuntime, passId: string): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, PASS_POLL_MS).unref());
    const pass = await runtime.services.passes.getPass(LOCAL_TENANT, passId);
    if (pass.status === 'completed' || pass.status === 'stopped') return;
  }
}

/** As `mailferry migrate` sets up: endpoints without admin login, the item carries each side's login. */
async function findOrCreateItem(runtime: EmbeddedRuntime, config: ChildConfig): Promise<string> {
  const { projects, items } = runtime.services;
  const existing = (await projects.listProjects(LOCAL_TENANT)).items.find((p) => p.name === 'bench');
  if (existing) return (await items.listItems(LOCAL_TENANT, existing.id, {})).items[0]!.id;
  if (config.project) {
    const source = await projects.createEndpoint(LOCAL_TENANT, parseInput(endpointInput, config.project.source));
    const destination = await projects.createEndpoint(LOCAL_TENANT, parseInput(endpointInput, config.project.destination));
    const project = await projects.createProject(LOCAL_TENANT, {
      name: 'bench',
      sourceEndpointId: source.id,
      destinationEndpointId: destination.id,
      options: [],
      maxConcurrentMigrations: 1,
    });
    return (await items.addItem(LOCAL_TENANT, project.id, parseInput(itemInput, config.project.item))).id;
  }
  const endpoint = (account: ImapAccount, name: string) =>
    projects.createEndpoint(LOCAL_TENANT, {
      name,
      kind: 'imap',
      host: account.host,
      port: account.port,
      security: 'none',
      allowSelfSigned: false,
      adminMode: 'none',
      authMechanism: 'password',
      domains: [],
    });
  if (!config.source || !config.destination) throw new Error('The bench child needs either two IMAP accounts or a project.');
  const sourceAccount = config.source;
  const destinationAccount = config.destination;
  const source = await endpoint(sourceAccount, 'bench source');
  const destination = await endpoint(destinationAccount, 'bench destination');
  const project = await projects.createProject(LOCAL_TENANT, {
    name: 'bench',
    sourceEndpointId: source.id,
    destinationEndpointId: destination.id,
    options: process.env.BENCH_PROJECT_OPTIONS?.split(',').filter(Boolean) ?? [],
    maxConcurrentMigrations: 1,
  });
  const item = await items.addItem(LOCAL_TENANT, project.id, {
    sourceAddress: `${config.source.user}@src.bench`,
    destinationAddress: `${config.destination.user}@dst.bench`,
    sourceLogin: config.source.user,
    sourcePassword: config.source.password,
    destinationLogin: config.destination.user,
    destinationPassword: config.destination.password,
    endUserCredentials: false,
    options: [],
  });
  return item.id;
}

/** /proc/self/status's memory lines (VmHWM, RssAnon, …), in kB as the kernel writes them. */
function procStatusKB(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync('/proc/self/status', 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
