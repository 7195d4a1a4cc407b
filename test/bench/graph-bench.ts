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
 *   3. read the destinations back: (b) holds the source's export streams folder by folder, (c)
 *      holds every corpus message's MIME byte for byte in its folder.
 * Ratios: (b) against (a), (c) against (a'). Env: BENCH_GRAPH_MESSAGES (2000), BENCH_SEED,
 * BENCH_CPU_PROF=DIR, BENCH_CHILD_FLAGS (as the other benches).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot } from '../support/dovecot.js';
import { buildCorpus, MB, type Corpus } from './corpus.js';
import { GraphBenchClient, destSegments, graphEndpointInput, sha, startGraphServerProcess } from './graph-clients.js';
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
const IMAP_SOURCE = 'src';
const IMAP_PASSWORD = 'src-bench-pw';
const RATE_DIGITS = 1;
const RATIO_DIGITS = 3;
const smtp = (user: string) => `${user}@${DOMAIN}`;

async function main(): Promise<number> {
  const messages = positiveInt(process.env.BENCH_GRAPH_MESSAGES, DEFAULT_MESSAGES, 'BENCH_GRAPH_MESSAGES');
  const seed = positiveInt(process.env.BENCH_SEED, DEFAULT_SEED, 'BENCH_SEED');
  const benchStarted = performance.now();
  const loadAtStart = loadAverage();
  const work = mkdtempSync(join(tmpdir(), 'mailferry-graph-bench-'));
  const step = (what: string) => console.error(`[${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${what}`);

  step(`building ${messages} messages (seed ${seed})`);
  const corpus = buildCorpus(messages, seed, { hugeCount: 0, large: false });
  const [server, dovecot] = await Promise.all([
    startGraphServerProcess(Object.values(USERS).map(smtp)),
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

    step('reading the destinations back');
    const checkExo = sameAs(await client.contents(smtp(USERS.source)), await client.contents(smtp(USERS.fromExo)));
    const checkImap = holdsCorpus(await client.contents(smtp(USERS.fromImap)), corpus);
    return report({
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
    }),
  );
  return identical ? 0 : 1;
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
