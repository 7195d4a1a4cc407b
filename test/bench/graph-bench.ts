/**
 * `npm run bench:graph`: Mailferry over Microsoft Graph against the Graph test server's own import
 * limit. The server (test/support/graph, CSDL checks on every body, Exchange Online's default
 * limits: 4 requests in flight, 10,000 requests per 10 minutes and 150 MB of uploads per 5 minutes
 * per app and mailbox) runs in a process of its own; each Mailferry pass runs in a child process,
 * so its peak RSS is its own. The order of work:
 *   1. build the seeded corpus (the IMAP bench's generator without its 8–12 MB and 2–5 MB
 *      messages, which become 100 KB–1 MB ones: the test server's export stream holds the MIME as
 *      base64 and importItem sends the stream as base64 again, so 2,000 messages of the full
 *      corpus (134 MB) pass 150 MB of upload and every writer waits out the 5-minute window,
 *      which measures the budget, not the writer) and fill a Dovecot source;
 *   2. fill the Exchange Online source through importItem (a warm-up too);
 *   (a) importItem limit: a reference client that only imports the same items (bodies built
 *       beforehand, 4 in flight) into an empty mailbox;
 *   (a') importMime limit: the same for the messages' MIME;
 *   (a'') the same plus the PATCH of read state, flag, categories and the delivery time
 *       (SystemTime 0x0E06: the IMAP internal date) a copy from IMAP must send for every message
 *       that is read, flagged, has keywords or was given another received time than its internal
 *       date (nearly all of them): Graph's importMime takes the message alone, so these are two
 *       requests in the same 4-slot window;
 *   (b) Mailferry `full` Exchange Online → Exchange Online (exportItems → importItem), then its delta;
 *   (c) Mailferry `full` IMAP (Dovecot) → Exchange Online (importMime + read state), then its delta;
 *   3. the budget round: Exchange Online's real limits are never reached by 2,000 items in a
 *      bench (10,000 requests per 10 minutes), so (a)–(c) above are bound by this machine's CPU,
 *      shared by the client and a server that both exports and imports. The server's limits are
 *      then set (its `limits` command) to Exchange Online's sustained rates sped up
 *      BENCH_GRAPH_BUDGET_SPEEDUP times (default 6: 100 requests and 3 MiB of uploads per 1-s
 *      window, per app and mailbox; 4 in flight as always) and (a), (a'), (a''), (b) and (c) run
 *      again into fresh mailboxes: what binds now is the budget a tenant gives an app, as in a real
 *      migration; the server's refusals per phase show that it did. 0 skips the round;
 *   4. read the destinations back: (b) holds the source's export streams folder by folder, (c)
 *      holds every corpus message's MIME byte for byte in its folder (the budget round's too).
 * Ratios: (b) against (a), (c) against (a') and (a''). Env: BENCH_GRAPH_MESSAGES (2000), BENCH_SEED,
 * BENCH_GRAPH_BUDGET_SPEEDUP (6), BENCH_CPU_PROF=DIR, BENCH_SERVER_CPU_PROF=DIR (the Graph test
 * server's profile), BENCH_CHILD_FLAGS (as the other benches).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot } from '../support/dovecot.js';
import { buildCorpus, MB, type Corpus } from './corpus.js';
import { EXCHANGE_ONLINE_LIMITS, type GraphLimits } from '../support/graph/index.js';
import {
  GraphBenchClient,
  type ThrottleCounters,
  type Timed,
  destSegments,
  graphEndpointInput,
  sha,
  startGraphServerProcess,
} from './graph-clients.js';
import type { ChildResult } from './mailferry-child.js';
import { runMailferryChild } from './mailferry-run.js';
import { formatTable, loadAverage, positiveInt, rate, round, type Row } from './report.js';
import { appendCorpus, SOURCE_SEPARATOR } from './servers.js';

const DEFAULT_MESSAGES = 2_000;
const DEFAULT_SEED = 20_240_601;
const DOMAIN = 'contoso.com';
const USERS = {
  source: 'src',
  itemLimit: 'limit-item',
  mimeLimit: 'limit-mime',
  stateLimit: 'limit-mime-state',
  fromExo: 'from-exo',
  fromImap: 'from-imap',
} as const;
/** The budget round's destinations (the sources are the same). */
const BUDGET_USERS = {
  itemLimit: 'budget-limit-item',
  mimeLimit: 'budget-limit-mime',
  stateLimit: 'budget-limit-mime-state',
  fromExo: 'budget-from-exo',
  fromImap: 'budget-from-imap',
} as const;
const DEFAULT_BUDGET_SPEEDUP = 6;
const BUDGET_WINDOW_MS = 1000;
const IMAP_SOURCE = 'src';
const IMAP_PASSWORD = 'src-bench-pw';
const RATE_DIGITS = 1;
const RATIO_DIGITS = 3;
const smtp = (user: string) => `${user}@${DOMAIN}`;

async function main(): Promise<number> {
  const messages = positiveInt(process.env.BENCH_GRAPH_MESSAGES, DEFAULT_MESSAGES, 'BENCH_GRAPH_MESSAGES');
  const seed = positiveInt(process.env.BENCH_SEED, DEFAULT_SEED, 'BENCH_SEED');
  const speedup = budgetSpeedup(process.env.BENCH_GRAPH_BUDGET_SPEEDUP);
  const benchStarted = performance.now();
  const loadAtStart = loadAverage();
  const work = mkdtempSync(join(tmpdir(), 'mailferry-graph-bench-'));
  const step = (what: string) => console.error(`[${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${what}`);

  step(`building ${messages} messages (seed ${seed})`);
  const corpus = buildCorpus(messages, seed, { hugeCount: 0, large: false });
  const [server, dovecot] = await Promise.all([
    startGraphServerProcess([...Object.values(USERS), ...Object.values(BUDGET_USERS)].map(smtp)),
    startDovecot({ separator: SOURCE_SEPARATOR, users: { [IMAP_SOURCE]: IMAP_PASSWORD } }),
  ]);
  const client = new GraphBenchClient(server);
  const serverCpu: Record<string, number> = {};
  /** Runs one phase and notes the CPU seconds the Graph test server spent in it. */
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const before = server.cpuSeconds();
    try {
      return await run();
    } finally {
      serverCpu[name] = round(server.cpuSeconds() - before, 2);
    }
  };
  try {
    step(`corpus: ${(corpus.bytes / MB).toFixed(1)} MB in ${corpus.byFolder.size} folders; filling the Dovecot source`);
    await appendCorpus(dovecot, IMAP_SOURCE, corpus);
    step('filling the Exchange Online source (importItem)');
    const fill = await client.importAll(smtp(USERS.source), corpus, 'item');
    step('(a) importItem limit');
    const itemLimit = await phase('importItemLimit', () => client.importAll(smtp(USERS.itemLimit), corpus, 'item'));
    step("(a') importMime limit");
    const mimeLimit = await phase('importMimeLimit', () => client.importAll(smtp(USERS.mimeLimit), corpus, 'mime'));
    step("(a'') importMime + read state limit");
    const stateLimit = await phase('importMimeStateLimit', () => client.importAll(smtp(USERS.stateLimit), corpus, 'mime+state'));

    const graphChild = (name: string, source: Record<string, unknown>, item: Record<string, unknown>) =>
      runMailferryChild(
        {
          dataDir: join(work, name),
          trace: false,
          connector: {},
          graph: { authorityHost: server.authorityHost },
          project: { source, destination: graphEndpointInput(server, 'Exchange Online destination'), item: { ...item, options: [] } },
        },
        { cpuProfileDir: process.env.BENCH_CPU_PROF, env: { NODE_EXTRA_CA_CERTS: server.caFile } },
      );
    step('(b) Mailferry full Exchange Online → Exchange Online, then its delta');
    const fromExo = await phase('exoToExo', () =>
      graphChild('exo-to-exo', graphEndpointInput(server, 'Exchange Online source'), {
        sourceAddress: smtp(USERS.source),
        destinationAddress: smtp(USERS.fromExo),
      }),
    );
    step('(c) Mailferry full IMAP → Exchange Online, then its delta');
    const fromImap = await phase('imapToExo', () =>
      graphChild(
        'imap-to-exo',
        { name: 'Dovecot', kind: 'imap', host: dovecot.host, port: dovecot.port, security: 'none', adminMode: 'none' },
        {
          sourceAddress: `${IMAP_SOURCE}@imap.${DOMAIN}`,
          destinationAddress: smtp(USERS.fromImap),
          sourceLogin: IMAP_SOURCE,
          sourcePassword: IMAP_PASSWORD,
        },
      ),
    );

    let budget: BudgetRound | undefined;
    if (speedup > 0) {
      const limits = await server.setLimits(scaledBudget(speedup));
      step(
        `budget round: ${limits.requestsPerWindow} requests and ${limits.uploadBytesPerWindow} upload bytes per ${limits.requestWindowMs} ms`,
      );
      const refusals: Record<string, PhaseThrottle> = {};
      /** A phase of the budget round: its server CPU, and what the throttle admitted and refused meanwhile. */
      const budgetPhase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
        const before = await server.counters();
        try {
          return await phase(`budget.${name}`, run);
        } finally {
          const after = await server.counters();
          refusals[name] = {
            admitted: after.admitted - before.admitted,
            requestBudgetRefusals: after.requestBudgetRefusals - before.requestBudgetRefusals,
            uploadBudgetRefusals: after.uploadBudgetRefusals - before.uploadBudgetRefusals,
            concurrencyRefusals: after.concurrencyRefusals - before.concurrencyRefusals,
          };
        }
      };
      step('(a) importItem limit, under the budget');
      const itemLimitB = await budgetPhase('importItemLimit', () => client.importAll(smtp(BUDGET_USERS.itemLimit), corpus, 'item'));
      step("(a') importMime limit, under the budget");
      const mimeLimitB = await budgetPhase('importMimeLimit', () => client.importAll(smtp(BUDGET_USERS.mimeLimit), corpus, 'mime'));
      step("(a'') importMime + read state limit, under the budget");
      const stateLimitB = await budgetPhase('importMimeStateLimit', () =>
        client.importAll(smtp(BUDGET_USERS.stateLimit), corpus, 'mime+state'),
      );
      step('(b) Mailferry full Exchange Online → Exchange Online, then its delta, under the budget');
      const fromExoB = await budgetPhase('exoToExo', () =>
        graphChild('budget-exo-to-exo', graphEndpointInput(server, 'Exchange Online source'), {
          sourceAddress: smtp(USERS.source),
          destinationAddress: smtp(BUDGET_USERS.fromExo),
        }),
      );
      step('(c) Mailferry full IMAP → Exchange Online, then its delta, under the budget');
      const fromImapB = await budgetPhase('imapToExo', () =>
        graphChild(
          'budget-imap-to-exo',
          { name: 'Dovecot', kind: 'imap', host: dovecot.host, port: dovecot.port, security: 'none', adminMode: 'none' },
          {
            sourceAddress: `${IMAP_SOURCE}@imap.${DOMAIN}`,
            destinationAddress: smtp(BUDGET_USERS.fromImap),
            sourceLogin: IMAP_SOURCE,
            sourcePassword: IMAP_PASSWORD,
          },
        ),
      );
      await server.setLimits(EXCHANGE_ONLINE_LIMITS);
      budget = {
        speedup,
        limits,
        itemLimit: itemLimitB,
        mimeLimit: mimeLimitB,
        stateLimit: stateLimitB,
        fromExo: fromExoB,
        fromImap: fromImapB,
        refusals,
      };
    }

    step('reading the destinations back');
    const sourceContents = await client.contents(smtp(USERS.source));
    const checkExo = sameAs(sourceContents, await client.contents(smtp(USERS.fromExo)));
    const checkImap = holdsCorpus(await client.contents(smtp(USERS.fromImap)), corpus);
    if (budget) {
      budget.checkExo = sameAs(sourceContents, await client.contents(smtp(BUDGET_USERS.fromExo)));
      budget.checkImap = holdsCorpus(await client.contents(smtp(BUDGET_USERS.fromImap)), corpus);
    }
    return report({
      budget,
      messages,
      seed,
      corpus,
      fill,
      itemLimit,
      mimeLimit,
      stateLimit,
      fromExo,
      fromImap,
      checkExo,
      checkImap,
      loadAtStart,
      serverCpu,
      benchStarted,
    });
  } finally {
    await Promise.allSettled([server.stop(), dovecot.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}

interface Check {
  ok: boolean;
  differences: string[];
}

/** Requests the server's throttle admitted and refused (429) in one phase. */
type PhaseThrottle = Pick<ThrottleCounters, 'admitted' | 'requestBudgetRefusals' | 'uploadBudgetRefusals' | 'concurrencyRefusals'>;

/** The budget round (step 3 of the header): the same measurements with the server's limits binding. */
interface BudgetRound {
  speedup: number;
  limits: GraphLimits;
  itemLimit: Timed;
  mimeLimit: Timed;
  stateLimit: Timed;
  fromExo: ChildResult;
  fromImap: ChildResult;
  /** What the throttle admitted and refused during each phase. */
  refusals: Record<string, PhaseThrottle>;
  checkExo?: Check;
  checkImap?: Check;
}

function budgetSpeedup(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_BUDGET_SPEEDUP;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`BENCH_GRAPH_BUDGET_SPEEDUP must be a number ≥ 0 (0 skips the budget round), not "${value}"`);
  return n;
}

/**
 * Exchange Online's per-app-and-mailbox budgets (GRAPH.md: 10,000 requests per 10 minutes, 150 MiB
 * of uploads per 5 minutes) as the same sustained rates times `speedup`, in windows of 1 s, so that a
 * bench of minutes spends most of its time inside budget windows, as a migration of a large
 * mailbox does inside Exchange Online's.
 */
function scaledBudget(speedup: number): Partial<GraphLimits> {
  const L = EXCHANGE_ONLINE_LIMITS;
  return {
    requestsPerWindow: Math.max(1, Math.round((L.requestsPerWindow * speedup * BUDGET_WINDOW_MS) / L.requestWindowMs)),
    requestWindowMs: BUDGET_WINDOW_MS,
    uploadBytesPerWindow: Math.max(1, Math.round((L.uploadBytesPerWindow * speedup * BUDGET_WINDOW_MS) / L.uploadWindowMs)),
    uploadWindowMs: BUDGET_WINDOW_MS,
  };
}

/** The destination holds exactly the source's export streams, folder by folder. */
function sameAs(source: Map<string, { streams: string[] }>, dest: Map<string, { streams: string[] }>): Check {
  const differences: string[] = [];
  for (const path of new Set([...source.keys(), ...dest.keys()])) {
    const want = source.get(path)?.streams ?? [];
    const got = dest.get(path)?.streams ?? [];
    if (want.join() !== got.join())
      differences.push(
        `${path}: ${got.length} items, ${want.length} at the source, ${got.filter((s) => !want.includes(s)).length} differing`,
      );
  }
  return { ok: differences.length === 0, differences };
}

/** Every corpus message's MIME, byte for byte, in the folder it maps to, and nothing else. */
function holdsCorpus(dest: Map<string, { mimes: string[] }>, corpus: Corpus): Check {
  const differences: string[] = [];
  const expected = new Map<string, string[]>();
  for (const [folder, items] of corpus.byFolder) expected.set(destSegments(folder).join('/'), items.map((m) => sha(m.raw)).sort());
  for (const path of new Set([...expected.keys(), ...dest.keys()])) {
    const want = expected.get(path) ?? [];
    const got = dest.get(path)?.mimes ?? [];
    if (want.join() !== got.join())
      differences.push(
        `${path}: ${got.length} messages, ${want.length} expected, ${got.filter((s) => !want.includes(s)).length} with other bytes`,
      );
  }
  return { ok: differences.length === 0, differences };
}

interface Outcome {
  budget: BudgetRound | undefined;
  messages: number;
  seed: number;
  corpus: Corpus;
  fill: { messages: number; bytes: number; seconds: number };
  itemLimit: { messages: number; bytes: number; seconds: number };
  mimeLimit: { messages: number; bytes: number; seconds: number };
  /** importMime plus the PATCH of read state, flag, categories and delivery time that a copy from IMAP needs (nearly every message). */
  stateLimit: { messages: number; bytes: number; seconds: number };
  fromExo: ChildResult;
  fromImap: ChildResult;
  checkExo: Check;
  checkImap: Check;
  loadAtStart: string;
  /** CPU seconds of the Graph test server per phase (the (b) and (c) phases include their deltas). */
  serverCpu: Record<string, number>;
  benchStarted: number;
}

function report(o: Outcome): number {
  const { messages, corpus, fromExo, fromImap } = o;
  const rows: Row[] = [
    { name: '(a) importItem limit', messages: o.itemLimit.messages, bytes: o.itemLimit.bytes, seconds: o.itemLimit.seconds },
    passRow('(b) Mailferry EXO→EXO full', fromExo.full),
    passRow('(b) delta', fromExo.delta, true),
    { name: "(a') importMime limit", messages: o.mimeLimit.messages, bytes: o.mimeLimit.bytes, seconds: o.mimeLimit.seconds },
    { name: "(a'') importMime + read state", messages: o.stateLimit.messages, bytes: o.stateLimit.bytes, seconds: o.stateLimit.seconds },
    passRow('(c) Mailferry IMAP→EXO full', fromImap.full),
    passRow('(c) delta', fromImap.delta, true),
    { name: '    source fill, importItem (warm-up)', messages: o.fill.messages, bytes: o.fill.bytes, seconds: o.fill.seconds },
  ];
  const itemRate = rate(o.itemLimit.messages, o.itemLimit.seconds);
  const mimeRate = rate(o.mimeLimit.messages, o.mimeLimit.seconds);
  const stateRate = rate(o.stateLimit.messages, o.stateLimit.seconds);
  const exoRate = rate(fromExo.full.copied, fromExo.full.seconds);
  const imapRate = rate(fromImap.full.copied, fromImap.full.seconds);
  const complete = (r: ChildResult) => r.full.copied === messages && r.full.failed === 0 && r.delta.copied === 0 && r.delta.failed === 0;
  const identical = o.checkExo.ok && o.checkImap.ok && complete(fromExo) && complete(fromImap);
  const b = o.budget;
  const budgetLine = b ? budgetFigures(b, complete) : undefined;
  if (b) {
    rows.push(
      { name: '(a) importItem limit, budget', messages: b.itemLimit.messages, bytes: b.itemLimit.bytes, seconds: b.itemLimit.seconds },
      passRow('(b) Mailferry EXO→EXO full, budget', b.fromExo.full),
      passRow('(b) delta, budget', b.fromExo.delta, true),
      { name: "(a') importMime limit, budget", messages: b.mimeLimit.messages, bytes: b.mimeLimit.bytes, seconds: b.mimeLimit.seconds },
      {
        name: "(a'') importMime + read state, budget",
        messages: b.stateLimit.messages,
        bytes: b.stateLimit.bytes,
        seconds: b.stateLimit.seconds,
      },
      passRow('(c) Mailferry IMAP→EXO full, budget', b.fromImap.full),
      passRow('(c) delta, budget', b.fromImap.delta, true),
    );
  }
  console.log('');
  console.log(
    `Mailferry Graph bench: ${messages} items, ${(corpus.bytes / MB).toFixed(1)} MB, seed ${o.seed}; Graph test server with Exchange Online's default limits`,
  );
  console.log(formatTable(rows));
  console.log('');
  console.log(
    `EXO→EXO / importItem limit: ${(exoRate / itemRate).toFixed(2)}   IMAP→EXO / importMime limit: ${(imapRate / mimeRate).toFixed(2)} (/ importMime + read state: ${(imapRate / stateRate).toFixed(2)})`,
  );
  console.log(`delta with nothing new: EXO→EXO ${fromExo.delta.seconds.toFixed(3)} s, IMAP→EXO ${fromImap.delta.seconds.toFixed(3)} s`);
  console.log(
    `Mailferry's own CPU: EXO→EXO ${fromExo.full.cpuSeconds?.toFixed(2)} s in ${fromExo.full.seconds.toFixed(2)} s, IMAP→EXO ${fromImap.full.cpuSeconds?.toFixed(2)} s in ${fromImap.full.seconds.toFixed(2)} s`,
  );
  console.log(`Graph test server CPU s per phase (its own process): ${JSON.stringify(o.serverCpu)}`);
  console.log(
    `peak RSS: EXO→EXO ${peak(fromExo).toFixed(1)} MB ${JSON.stringify(fromExo.memoryAtPeakMB)}, IMAP→EXO ${peak(fromImap).toFixed(1)} MB ${JSON.stringify(fromImap.memoryAtPeakMB)}`,
  );
  console.log(
    `check (b): ${o.checkExo.ok ? 'identical export streams' : 'DIFFERENT'}; check (c): ${o.checkImap.ok ? 'every message, MIME byte-exact' : 'DIFFERENT'}`,
  );
  for (const d of [...o.checkExo.differences, ...o.checkImap.differences].slice(0, 20)) console.log(`  ${d}`);
  if (b && budgetLine) {
    console.log(
      `budget round (Exchange Online's sustained rates ×${b.speedup}: ${b.limits.requestsPerWindow} requests and ${b.limits.uploadBytesPerWindow} upload bytes per ${b.limits.requestWindowMs} ms per app and mailbox):`,
    );
    console.log(
      `  EXO→EXO / importItem limit: ${budgetLine.exoToExoRatio}   IMAP→EXO / importMime + read state: ${budgetLine.imapToExoRatioWithState} (/ importMime alone: ${budgetLine.imapToExoRatio})`,
    );
    console.log(`  throttle per phase: ${JSON.stringify(b.refusals)}`);
    console.log(
      `  check (b): ${b.checkExo?.ok ? 'identical export streams' : 'DIFFERENT'}; check (c): ${b.checkImap?.ok ? 'every message, MIME byte-exact' : 'DIFFERENT'}`,
    );
    for (const d of [...(b.checkExo?.differences ?? []), ...(b.checkImap?.differences ?? [])].slice(0, 20)) console.log(`  ${d}`);
  }
  const loadAtEnd = loadAverage();
  console.log(`load average (1 min) at start ${o.loadAtStart}, at end ${loadAtEnd} on ${cpus().length} CPUs`);
  console.log(`whole bench: ${((performance.now() - o.benchStarted) / 1000).toFixed(1)} s`);
  console.log(
    JSON.stringify({
      messages,
      bytes: corpus.bytes,
      importItemLimitItemsPerS: round(itemRate, RATE_DIGITS),
      exoToExoItemsPerS: round(exoRate, RATE_DIGITS),
      exoToExoRatio: round(exoRate / itemRate, RATIO_DIGITS),
      importMimeLimitItemsPerS: round(mimeRate, RATE_DIGITS),
      imapToExoItemsPerS: round(imapRate, RATE_DIGITS),
      imapToExoRatio: round(imapRate / mimeRate, RATIO_DIGITS),
      importMimeWithStateItemsPerS: round(stateRate, RATE_DIGITS),
      imapToExoRatioWithState: round(imapRate / stateRate, RATIO_DIGITS),
      deltaSeconds: { exoToExo: round(fromExo.delta.seconds, 3), imapToExo: round(fromImap.delta.seconds, 3) },
      peakRssMB: { exoToExo: round(peak(fromExo), RATE_DIGITS), imapToExo: round(peak(fromImap), RATE_DIGITS) },
      cpuSeconds: { exoToExo: round(fromExo.full.cpuSeconds ?? 0, 2), imapToExo: round(fromImap.full.cpuSeconds ?? 0, 2) },
      serverCpuSeconds: o.serverCpu,
      load: { start: Number(o.loadAtStart), end: Number(loadAtEnd), cpus: cpus().length },
      identical,
      measured: MEASURED,
      ...(budgetLine ? { budget: budgetLine } : {}),
    }),
  );
  return identical && (budgetLine?.identical ?? true) ? 0 : 1;
}

/** What the JSON line's figures are (the top-level ones kept their meaning from before the budget round). */
const MEASURED =
  "top-level rates: 4 in flight with Exchange Online's default budgets, which 2,000 items do not exhaust, so bound by this machine's CPU (client and test server share 2 cores); budget: the same runs with the test server's per-app-and-mailbox budgets at Exchange Online's sustained rates times budget.speedup in 1-s windows, reference writers under the same budget; ratios are items/s against items/s";

function budgetFigures(b: BudgetRound, complete: (r: ChildResult) => boolean) {
  const item = rate(b.itemLimit.messages, b.itemLimit.seconds);
  const mime = rate(b.mimeLimit.messages, b.mimeLimit.seconds);
  const state = rate(b.stateLimit.messages, b.stateLimit.seconds);
  const exo = rate(b.fromExo.full.copied, b.fromExo.full.seconds);
  const imap = rate(b.fromImap.full.copied, b.fromImap.full.seconds);
  return {
    speedup: b.speedup,
    requestsPerWindow: b.limits.requestsPerWindow,
    uploadBytesPerWindow: b.limits.uploadBytesPerWindow,
    windowSeconds: b.limits.requestWindowMs / 1000,
    importItemLimitItemsPerS: round(item, RATE_DIGITS),
    exoToExoItemsPerS: round(exo, RATE_DIGITS),
    exoToExoRatio: round(exo / item, RATIO_DIGITS),
    importMimeLimitItemsPerS: round(mime, RATE_DIGITS),
    importMimeWithStateItemsPerS: round(state, RATE_DIGITS),
    imapToExoItemsPerS: round(imap, RATE_DIGITS),
    imapToExoRatio: round(imap / mime, RATIO_DIGITS),
    imapToExoRatioWithState: round(imap / state, RATIO_DIGITS),
    deltaSeconds: { exoToExo: round(b.fromExo.delta.seconds, 3), imapToExo: round(b.fromImap.delta.seconds, 3) },
    peakRssMB: { exoToExo: round(peak(b.fromExo), RATE_DIGITS), imapToExo: round(peak(b.fromImap), RATE_DIGITS) },
    memoryAtPeakMB: { exoToExo: b.fromExo.memoryAtPeakMB, imapToExo: b.fromImap.memoryAtPeakMB },
    cpuSeconds: { exoToExo: round(b.fromExo.full.cpuSeconds ?? 0, 2), imapToExo: round(b.fromImap.full.cpuSeconds ?? 0, 2) },
    /** Requests admitted and refused (429) by the server per phase: refusals of the budget show it bound. */
    throttle: b.refusals,
    identical: Boolean(b.checkExo?.ok && b.checkImap?.ok && complete(b.fromExo) && complete(b.fromImap)),
  };
}

function passRow(name: string, measure: ChildResult['full'], delta = false): Row {
  return {
    name,
    messages: delta ? 0 : measure.copied,
    bytes: delta ? 0 : measure.bytes,
    seconds: measure.seconds,
    note: `${measure.status}, ${delta ? `${measure.skipped} skipped, ${measure.copied} copied` : `${measure.failed} failed`}${measure.reason ? `: ${measure.reason}` : ''}`,
  };
}

const peak = (r: ChildResult) => Math.max(r.vmHwmMB, r.sampledPeakRssMB);

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
