/**
 * `npm run bench`: IMAP→IMAP throughput of Mailferry against the raw APPEND limit and mbsync,
 * on real Dovecots (each helper file says why it is built the way it is). The order of work:
 *   1. build a seeded corpus and fill the source (our pipelined APPEND writer);
 *   (a) raw limit: the same writer writes the in-memory corpus into an empty mailbox;
 *   (b) Mailferry `full` pass source → empty mailbox, in a child process (peak RSS is its own);
 *   (c) a second `full` with nothing new: the delta;
 *   (d) mbsync full copy into a third empty mailbox, then its delta;
 *   (e) flags of FLAG_CHANGES source messages changed, then one more Mailferry pass carries them;
 *   (f) `mailferry migrate` (the CLI, a process per run) into a fourth mailbox, then again: the
 *       second run's wall time, process start included;
 *   5. check (b) left the destination identical to the source; print a table and one JSON line.
 * Env: BENCH_MESSAGES (10000), BENCH_SEED, BENCH_DEST_SEPARATOR ('.' or '/'), BENCH_CONNECTOR
 * (JSON ImapConnectorOptions for (b)), BENCH_PROJECT_OPTIONS (support options of (b)'s project,
 * comma-separated: `ConnectionsPerMailbox=2`), BENCH_TRACE=1 (time read vs write side in (b)),
 * BENCH_CPU_PROF=DIR (V8 CPU profile of the Mailferry child).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapConnectorOptions } from '../../api/connectors/imap/imap-connector.js';
import { buildCorpus, MB, type Corpus } from './corpus.js';
import { runMailferryChild } from './mailferry-run.js';
import { settledGroupCpuSeconds } from './proc-cpu.js';
import { runMbsync, writeMbsyncConfig } from './mbsync-run.js';
import { runMigrate } from './migrate-run.js';
import { formatTable, loadAverage, positiveInt, rate, round, type Row, type Summary } from './report.js';
import { appendCorpus, startBenchServers, USERS } from './servers.js';
import { compareMailboxes, countMessages } from './verify.js';

const DEFAULT_MESSAGES = 10_000;
const DEFAULT_SEED = 20_240_601;
/**
 * Connector options for (b): Mailferry's defaults, which this bench sized (2 MB read batches,
 * messages over 256 KB streamed, 4 MB of APPENDs in flight; the earlier 8 MB / 1 MB / 16 MB
 * peaked at 175-190 MB RSS for the same rate). BENCH_CONNECTOR='{"read":{...}}' tries others.
 */
const MAILFERRY_CONNECTOR: ImapConnectorOptions = {};
/** Messages whose flags (e) changes at the source: a day of a user reading and filing mail. */
const FLAG_CHANGES = 200;
const RATE_DIGITS = 1;
const SECONDS_DIGITS = 3;
const RATIO_DIGITS = 3;

async function main(): Promise<number> {
  const messages = positiveInt(process.env.BENCH_MESSAGES, DEFAULT_MESSAGES, 'BENCH_MESSAGES');
  const seed = positiveInt(process.env.BENCH_SEED, DEFAULT_SEED, 'BENCH_SEED');
  const destSeparator = process.env.BENCH_DEST_SEPARATOR === '/' ? '/' : '.';
  const connector: ImapConnectorOptions = process.env.BENCH_CONNECTOR
    ? (JSON.parse(process.env.BENCH_CONNECTOR) as ImapConnectorOptions)
    : MAILFERRY_CONNECTOR;
  const benchStarted = performance.now();
  const loadAtStart = loadAverage();
  const work = mkdtempSync(join(tmpdir(), 'mailferry-bench-'));

  const step = (what: string) => console.error(`[${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${what}`);
  step(`building ${messages} messages (seed ${seed})`);
  let corpus: Corpus | undefined = buildCorpus(messages, seed);
  const bytes = corpus.bytes;
  step(
    `corpus: ${(bytes / MB).toFixed(1)} MB in ${corpus.byFolder.size} folders; starting Dovecots (destination separator '${destSeparator}')`,
  );
  const servers = await startBenchServers(destSeparator);
  const { source, destination } = servers;
  try {
    const fill = await appendCorpus(source, USERS.source, corpus);
    step(`source filled in ${fill.seconds.toFixed(1)} s; (a) raw pipelined APPEND`);
    // The same writer settings as (b), so the ratio compares the copy with its own write limit.
    const destinationGroup = destination.processGroup()!;
    const rawCpuBefore = { writer: process.cpuUsage(), destination: await settledGroupCpuSeconds(destinationGroup) };
    const raw = await appendCorpus(destination, USERS.raw, corpus, { pipeline: connector.pipeline });
    const rawWriterCpu = process.cpuUsage(rawCpuBefore.writer);
    const rawCpu = {
      writer: (rawWriterCpu.user + rawWriterCpu.system) / 1e6,
      destination: (await settledGroupCpuSeconds(destinationGroup)) - rawCpuBefore.destination,
    };

    // (b) runs in a child process, so the corpus is not in its RSS; free it anyway so the
    // bench process does not compete for memory and cache while Mailferry runs.
    corpus = undefined;
    (globalThis as { gc?: () => void }).gc?.();

    step('(b) Mailferry full pass, then (c) its delta');
    const account = (server: typeof source, user: string) => ({
      host: server.host,
      port: server.port,
      user,
      password: server.users[user]!,
    });
    const mailferry = await runMailferryChild(
      {
        dataDir: join(work, 'mailferry-data'),
        source: account(source, USERS.source),
        destination: account(destination, USERS.mailferry),
        connector,
        trace: process.env.BENCH_TRACE === '1',
        flagChanges: FLAG_CHANGES,
        cpuGroups: { source: source.processGroup()!, destination: destinationGroup },
      },
      { cpuProfileDir: process.env.BENCH_CPU_PROF },
    );

    step('(d) mbsync full copy, then its delta');
    const mbsyncConfig = writeMbsyncConfig(join(work, 'mbsync'), {
      far: { server: source, user: USERS.source },
      near: { server: destination, user: USERS.mbsync },
    });
    const mbsyncFull = await runMbsync(mbsyncConfig);
    const mbsyncDelta = await runMbsync(mbsyncConfig);

    step('(f) mailferry migrate, then again with nothing new');
    const migrateData = join(work, 'migrate-data');
    const migrateSides = [
      { server: source, user: USERS.source },
      { server: destination, user: USERS.migrate },
    ] as const;
    const migrateFull = await runMigrate(...migrateSides, migrateData);
    const migrateDelta = await runMigrate(...migrateSides, migrateData);

    step('checking (b) after (e): source and destination, message by message');
    const comparison = await compareMailboxes({ server: source, user: USERS.source }, { server: destination, user: USERS.mailferry });
    const [rawCount, mbsyncCount] = await Promise.all([countMessages(destination, USERS.raw), countMessages(destination, USERS.mbsync)]);

    const { full, delta } = mailferry;
    const flagSync = mailferry.flagSync;
    const rows: Row[] = [
      {
        name: '(a) raw pipelined APPEND',
        messages: raw.messages,
        bytes: raw.bytes,
        seconds: raw.seconds,
        note: `${rawCount} at destination`,
      },
      {
        name: '(b) Mailferry full',
        messages: full.copied,
        bytes: full.bytes,
        seconds: full.seconds,
        note: `${full.status}, ${full.failed} failed`,
      },
      {
        name: '(c) Mailferry delta',
        messages: 0,
        bytes: 0,
        seconds: delta.seconds,
        note: `${delta.status}, ${delta.skipped} skipped, ${delta.copied} copied`,
      },
      {
        name: '(d) mbsync full',
        messages: mbsyncCount,
        bytes,
        seconds: mbsyncFull.seconds,
        note: `exit ${mbsyncFull.exitCode}, ${mbsyncCount} at destination`,
      },
      { name: '(d) mbsync delta', messages: 0, bytes: 0, seconds: mbsyncDelta.seconds, note: `exit ${mbsyncDelta.exitCode}` },
      {
        name: '(e) Mailferry flag changes',
        messages: flagSync?.flagsUpdated ?? 0,
        bytes: 0,
        seconds: flagSync?.seconds ?? 0,
        note: `${flagSync?.changed ?? 0} changed at source, ${flagSync?.flagsUpdated ?? 0} updated`,
      },
      {
        name: '(f) migrate CLI full',
        messages: migrateFull.summary?.copied ?? 0,
        bytes,
        seconds: migrateFull.wallSeconds,
        note: `exit ${migrateFull.exitCode}`,
      },
      {
        name: '(f) migrate CLI delta (wall)',
        messages: 0,
        bytes: 0,
        seconds: migrateDelta.wallSeconds,
        note: `exit ${migrateDelta.exitCode}, ${migrateDelta.summary?.copied ?? '?'} copied`,
      },
      { name: '    source fill (setup)', messages: fill.messages, bytes: fill.bytes, seconds: fill.seconds },
    ];
    const rawRate = rate(raw.messages, raw.seconds);
    const fullRate = rate(full.copied, full.seconds);
    const mbsyncRate = rate(mbsyncCount, mbsyncFull.seconds);
    const peakRssMB = Math.max(mailferry.vmHwmMB, mailferry.sampledPeakRssMB);
    const identical =
      comparison.identical &&
      full.copied === messages &&
      full.failed === 0 &&
      delta.copied === 0 &&
      flagSync?.flagsUpdated === flagSync?.changed &&
      migrateFull.summary?.copied === messages &&
      migrateDelta.summary?.copied === 0;

    console.log('');
    console.log(
      `Mailferry IMAP bench: ${messages} messages, ${(bytes / MB).toFixed(1)} MB, seed ${seed}, destination separator '${destSeparator}'`,
    );
    console.log(`(b) connector options: ${JSON.stringify(connector)}`);
    console.log(formatTable(rows));
    console.log('');
    console.log(
      `full / raw: ${(fullRate / rawRate).toFixed(2)}   full / mbsync: ${(fullRate / mbsyncRate).toFixed(2)}   ` +
        `delta: ${delta.seconds.toFixed(SECONDS_DIGITS)} s (mbsync ${mbsyncDelta.seconds.toFixed(SECONDS_DIGITS)} s)`,
    );
    console.log(
      `peak RSS of the Mailferry process during (b): ${peakRssMB.toFixed(1)} MB ` +
        `(VmHWM ${mailferry.vmHwmMB.toFixed(1)} MB, max of 50 ms samples ${mailferry.sampledPeakRssMB.toFixed(1)} MB; at that sample ${JSON.stringify(mailferry.memoryAtPeakMB)})`,
    );
    if (full.cpuSeconds !== undefined) {
      const threads = full.threadCpuSeconds;
      const byThread = threads
        ? ` (JavaScript thread ${threads.main.toFixed(2)} s, V8's and libuv's threads ${threads.others.toFixed(2)} s)`
        : '';
      console.log(`Mailferry's own CPU during (b): ${full.cpuSeconds.toFixed(2)} s in a ${full.seconds.toFixed(2)} s pass${byThread}`);
    }
    const cores = cpus().length;
    const cpuFloor = cpuFloors(raw.seconds, rawCpu, { mailferry: full.cpuSeconds ?? 0, ...full.groupCpuSeconds }, cores);
    console.log(
      `CPU seconds, every process of the phase (the shortest wall time those seconds allow on ${cores} cores): ` +
        `(a) ${describeCpu(rawCpu)} = ${cpuFloor.raw.cpu.toFixed(2)} s in ${raw.seconds.toFixed(2)} s (floor ${cpuFloor.raw.floor.toFixed(2)} s); ` +
        `(b) ${describeCpu(cpuFloor.full.parts)} = ${cpuFloor.full.cpu.toFixed(2)} s in ${full.seconds.toFixed(2)} s (floor ${cpuFloor.full.floor.toFixed(2)} s); ` +
        `full / raw at best on this machine: ${cpuFloor.bestRatio.toFixed(2)}`,
    );
    console.log(
      `check (b): ${comparison.identical ? 'identical' : 'DIFFERENT'}: ${comparison.folders} folders, ${comparison.messages} messages ` +
        `(bytes, flags, internal dates) in ${comparison.seconds.toFixed(1)} s`,
    );
    for (const difference of comparison.differences) console.log(`  ${difference}`);
    if (full.reason) console.log(`(b) reason: ${full.reason}`);
    if (full.times) console.log(`(b) side times (ms): ${JSON.stringify(roundAll(full.times))}`);
    if (delta.times) console.log(`(c) side times (ms): ${JSON.stringify(roundAll(delta.times))}`);
    if (mbsyncFull.exitCode !== 0) console.log(`mbsync full stderr: ${mbsyncFull.stderr}`);
    for (const run of [migrateFull, migrateDelta]) if (run.exitCode !== 0) console.log(`migrate stderr: ${run.stderr}`);
    // Timings are only comparable on a quiet machine: say how busy it was.
    console.log(`load average (1 min) at start ${loadAtStart}, at end ${loadAverage()} on ${cpus().length} CPUs`);
    console.log(`whole bench: ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`);

    const summary: Summary = {
      messages,
      bytes,
      rawAppendMsgsPerS: round(rawRate, RATE_DIGITS),
      fullMsgsPerS: round(fullRate, RATE_DIGITS),
      fullRatio: round(fullRate / rawRate, RATIO_DIGITS),
      fullVsMbsync: round(fullRate / mbsyncRate, RATIO_DIGITS),
      deltaSeconds: round(delta.seconds, SECONDS_DIGITS),
      peakRssMB: round(peakRssMB, RATE_DIGITS),
      mbsyncFullMsgsPerS: round(mbsyncRate, RATE_DIGITS),
      mbsyncDeltaSeconds: round(mbsyncDelta.seconds, SECONDS_DIGITS),
      migrateDeltaWallSeconds: round(migrateDelta.wallSeconds, SECONDS_DIGITS),
      flagSync: {
        changed: flagSync?.changed ?? 0,
        flagsUpdated: flagSync?.flagsUpdated ?? 0,
        seconds: round(flagSync?.seconds ?? 0, SECONDS_DIGITS),
      },
      identical,
      load: { start: loadAtStart, end: loadAverage() },
      cpuSeconds: {
        raw: roundEach(rawCpu, 2),
        full: roundEach(cpuFloor.full.parts, 2),
        rawFloorSeconds: round(cpuFloor.raw.floor, SECONDS_DIGITS),
        fullFloorSeconds: round(cpuFloor.full.floor, SECONDS_DIGITS),
        bestFullRatio: round(cpuFloor.bestRatio, RATIO_DIGITS),
        ...(full.threadCpuSeconds ? { mailferryThreads: roundEach(full.threadCpuSeconds, 2) } : {}),
      },
    };
    console.log(JSON.stringify(summary));
    return identical ? 0 : 1;
  } finally {
    await servers.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function roundAll(times: object): Record<string, number> {
  return Object.fromEntries(Object.entries(times).map(([key, value]) => [key, Math.round(value as number)]));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * The least wall time a phase's CPU seconds allow on `cores` cores (every process of the phase
 * kept busy: the sum over the cores, and never less than any one process's own seconds), and so the
 * best full ÷ raw this machine allows: (b) has a source Dovecot and Mailferry on the cores that
 * (a) gives to its writer and the destination alone.
 */
function cpuFloors(
  rawSeconds: number,
  raw: Record<string, number>,
  full: Record<string, number>,
  cores: number,
): { raw: { cpu: number; floor: number }; full: { parts: Record<string, number>; cpu: number; floor: number }; bestRatio: number } {
  const floorOf = (parts: Record<string, number>) => {
    const values = Object.values(parts);
    const cpu = values.reduce((a, b) => a + b, 0);
    return { cpu, floor: Math.max(cpu / cores, ...values) };
  };
  const a = floorOf(raw);
  const b = floorOf(full);
  // (b) cannot take less than its floor; (a) took what it took: the ratio if (b) ran at its floor.
  return { raw: a, full: { parts: full, ...b }, bestRatio: rawSeconds / Math.max(b.floor, Number.EPSILON) };
}

function roundEach(values: Record<string, number>, digits: number): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, round(value, digits)]));
}

function describeCpu(parts: Record<string, number>): string {
  return Object.entries(parts)
    .map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`)
    .join(' + ');
}
