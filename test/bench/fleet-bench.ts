/**
 * `npm run bench:fleet`: many mailboxes through one embedded host. One Dovecot holds 100 source
 * mailboxes of 300–500 seeded messages each (the 2–50 KB text mail most mailboxes are made of,
 * written as maildir files: maildir-fill.ts) and 100 empty destinations; the embedded host's worker pool (fleet-child.ts, a process of its
 * own so its RSS is the worker's) first moves one extra mailbox alone, then the 100 in one pass at
 * concurrency 16. Reported: aggregate msg/s against the one mailbox alone, the worker's RSS at the
 * start, after mailbox 20, at the middle, after the last, and its peak, SQLite store and queue
 * time per job, each job's wait for a worker, and the exact count of every mailbox (the pass's
 * own and STATUS at the destination). Ends with one JSON line.
 * Flags: --concurrency N (default 16), --mailboxes N (default 100); env FLEET_SEED.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { buildCorpus, type Corpus, type CorpusMessage } from './corpus.js';
import type { FleetChildConfig, FleetChildResult } from './fleet-child.js';
import { MAILFERRY_NODE_FLAGS } from './mailferry-run.js';
import { Prng } from './prng.js';
import { loadAverage, positiveInt, round } from './report.js';
import { fillMaildir } from './maildir-fill.js';

const DEFAULT_MAILBOXES = 100;
const DEFAULT_CONCURRENCY = 16;
const DEFAULT_SEED = 20_261_205;
const MIN_MESSAGES = 300;
const MAX_MESSAGES = 500;
/** Messages generated once; mailbox i holds `messages` of them from i × POOL_STRIDE on (cyclically, so all distinct). */
const POOL_MESSAGES = 2_000;
const POOL_STRIDE = 131;
/** Destination mailboxes counted at once. */
const COUNT_LANES = 6;
const CHILD_PATH = fileURLToPath(new URL('./fleet-child.js', import.meta.url));

interface Mailbox {
  source: string;
  destination: string;
  messages: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { concurrency: { type: 'string' }, mailboxes: { type: 'string' } } });
  const concurrency = positiveInt(values.concurrency ?? process.env.FLEET_CONCURRENCY, DEFAULT_CONCURRENCY, '--concurrency');
  const count = positiveInt(values.mailboxes ?? process.env.FLEET_MAILBOXES, DEFAULT_MAILBOXES, '--mailboxes');
  const seed = positiveInt(process.env.FLEET_SEED, DEFAULT_SEED, 'FLEET_SEED');
  const benchStarted = performance.now();
  const loadAtStart = loadAverage();
  const step = (what: string) => console.error(`[${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${what}`);
  const rng = new Prng(seed);
  // Mailbox 0 is the one moved alone; 1..count are the fleet.
  const mailboxes: Mailbox[] = Array.from({ length: count + 1 }, (_, i) => ({
    source: `src${String(i).padStart(3, '0')}`,
    destination: `dst${String(i).padStart(3, '0')}`,
    messages: rng.int(MIN_MESSAGES, MAX_MESSAGES),
  }));
  const passwords = Object.fromEntries(
    mailboxes.flatMap((m) => [
      [m.source, `${m.source}-pw`],
      [m.destination, `${m.destination}-pw`],
    ]),
  );
  step(`starting Dovecot with ${mailboxes.length * 2} users`);
  // Up to 4 connections per running job (both sides: our own and imapflow): more than Dovecot's default 100 imap processes at high concurrency.
  const server = await startDovecot({
    users: passwords,
    extraConfig: `service imap {\n  process_limit = ${Math.max(100, concurrency * 8)}\n}\n`,
  });
  const work = mkdtempSync(join(tmpdir(), 'mailferry-fleet-'));
  try {
    step(`filling ${mailboxes.length} source mailboxes (${mailboxes.reduce((s, m) => s + m.messages, 0)} messages)`);
    const fillStarted = performance.now();
    let bytes = 0;
    // Maildir files, not APPENDs: the source is setup, and 40,000 APPENDs took 330 s under load.
    // Each mailbox takes its own run of a seeded pool: building 40,000 messages cost more than writing them.
    const pool = buildCorpus(POOL_MESSAGES, seed, { hugeCount: 0, large: false, smallOnly: true }).messages;
    for (const [i, mailbox] of mailboxes.entries()) {
      bytes += fillMaildir(server, mailbox.source, slice(pool, (i * POOL_STRIDE) % pool.length, mailbox.messages)).bytes;
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    step(
      `filled in ${fillSeconds.toFixed(1)} s (${(bytes / 1024 / 1024).toFixed(0)} MB); one mailbox alone, then ${count} at concurrency ${concurrency}`,
    );

    const config: FleetChildConfig = {
      dataDir: join(work, 'data'),
      host: server.host,
      port: server.port,
      passwords,
      concurrency,
      alone: mailboxes[0]!,
      fleet: mailboxes.slice(1),
    };
    const child = await runChild(config);
    step('checking every destination mailbox');
    const atDestination = await countAll(
      server,
      mailboxes.slice(1).map((m) => m.destination),
      passwords,
    );

    const expected = mailboxes.slice(1);
    const perMailbox = expected.map((m, i) => ({
      mailbox: m.source,
      expected: m.messages,
      copied: child.fleet.items[i]!.copied,
      atDestination: atDestination[i]!,
      status: child.fleet.items[i]!.status,
    }));
    const wrong = perMailbox.filter((m) => m.copied !== m.expected || m.atDestination !== m.expected || m.status !== 'Completed');
    const aloneRate = child.alone.copied / child.alone.seconds;
    const fleetRate = child.fleet.copied / child.fleet.seconds;
    const r = child.rssMB;
    const growth = r.atMailbox20 !== undefined && r.atLastMailbox !== undefined ? r.atLastMailbox - r.atMailbox20 : undefined;

    console.log('');
    console.log(
      `Mailferry fleet bench: ${count} mailboxes (${MIN_MESSAGES}-${MAX_MESSAGES} messages each, ${expected.reduce((s, m) => s + m.messages, 0)} in all), concurrency ${concurrency}, one Dovecot, seed ${seed}`,
    );
    console.log(`source fill (setup): ${fillSeconds.toFixed(1)} s`);
    console.log(
      `one mailbox alone:   ${child.alone.copied} messages in ${child.alone.seconds.toFixed(2)} s = ${aloneRate.toFixed(0)} msg/s (${child.alone.status})`,
    );
    console.log(
      `the fleet:           ${child.fleet.copied} messages in ${child.fleet.seconds.toFixed(2)} s = ${fleetRate.toFixed(0)} msg/s aggregate (${(fleetRate / aloneRate).toFixed(2)}x one mailbox alone)`,
    );
    console.log(
      `worker RSS (MB):     start ${r.start.toFixed(0)}, after mailbox 20 ${fmt(r.atMailbox20)}, middle ${fmt(r.middle)}, after the last ${fmt(r.atLastMailbox)}, end ${r.end.toFixed(0)}; peak ${r.peak.toFixed(0)} (VmHWM ${r.vmHwm.toFixed(0)})` +
        (growth !== undefined ? `; mailbox 20 → last: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB` : ''),
    );
    const h = child.liveHeapMB;
    console.log(
      `live heap (MB, after a full GC): start ${h.start.toFixed(1)}, after mailbox 20 ${fmt1(h.atMailbox20)}, middle ${fmt1(h.middle)}, after the last ${fmt1(h.atLastMailbox)}`,
    );
    console.log(
      `per job:             SQLite store ${child.perJobMs.store.toFixed(1)} ms in ${child.perJobMs.storeCalls.toFixed(0)} calls, queue ${child.perJobMs.queue.toFixed(1)} ms in ${child.perJobMs.queueCalls.toFixed(0)} calls; wait for a worker mean ${child.queueWaitSeconds.mean.toFixed(1)} s, max ${child.queueWaitSeconds.max.toFixed(1)} s`,
    );
    console.log(
      `exact counts:        ${wrong.length === 0 ? `all ${perMailbox.length} mailboxes exact (pass counts and STATUS at the destination)` : `${wrong.length} WRONG`}`,
    );
    for (const m of wrong)
      console.log(`  ${m.mailbox}: expected ${m.expected}, copied ${m.copied}, at destination ${m.atDestination}, ${m.status}`);
    console.log(`load average (1 min) at start ${loadAtStart}, at end ${loadAverage()} on ${cpus().length} CPUs`);
    const wholeSeconds = (performance.now() - benchStarted) / 1000;
    console.log(`whole bench: ${wholeSeconds.toFixed(1)} s`);
    console.log(
      JSON.stringify({
        mailboxes: count,
        concurrency,
        messages: child.fleet.copied,
        fleetMsgsPerS: round(fleetRate, 1),
        oneMailboxMsgsPerS: round(aloneRate, 1),
        fleetVsOne: round(fleetRate / aloneRate, 3),
        workerPeakRssMB: round(Math.max(r.peak, r.vmHwm), 1),
        rssMB: {
          start: round(r.start, 1),
          atMailbox20: r.atMailbox20 && round(r.atMailbox20, 1),
          middle: r.middle && round(r.middle, 1),
          atLastMailbox: r.atLastMailbox && round(r.atLastMailbox, 1),
          end: round(r.end, 1),
        },
        rssGrowthFrom20ToLastMB: growth === undefined ? null : round(growth, 1),
        liveHeapMB: Object.fromEntries(Object.entries(child.liveHeapMB).map(([k, v]) => [k, v === undefined ? null : round(v, 1)])),
        storeMsPerJob: round(child.perJobMs.store, 1),
        queueMsPerJob: round(child.perJobMs.queue, 1),
        queueWaitSeconds: { mean: round(child.queueWaitSeconds.mean, 2), max: round(child.queueWaitSeconds.max, 2) },
        exact: wrong.length === 0,
        perMailbox: perMailbox.map((m) => [m.mailbox, m.expected, m.copied, m.atDestination]),
        fillSeconds: round(fillSeconds, 1),
        wholeSeconds: round(wholeSeconds, 1),
        load: { start: loadAtStart, end: loadAverage() },
      }),
    );
    return wrong.length === 0 ? 0 : 1;
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** `count` messages of the pool from `start` on, wrapping around, as a Corpus of their own. */
function slice(pool: CorpusMessage[], start: number, count: number): Corpus {
  const messages = Array.from({ length: count }, (_, k) => pool[(start + k) % pool.length]!);
  const byFolder = new Map<string, CorpusMessage[]>();
  for (const m of messages) {
    const folder = byFolder.get(m.folder) ?? [];
    folder.push(m);
    byFolder.set(m.folder, folder);
  }
  return { messages, byFolder, bytes: messages.reduce((sum, m) => sum + m.raw.length, 0) };
}

function fmt1(value: number | undefined): string {
  return value === undefined ? '-' : value.toFixed(1);
}

function fmt(value: number | undefined): string {
  return value === undefined ? '-' : value.toFixed(0);
}

async function runChild(config: FleetChildConfig): Promise<FleetChildResult> {
  const child = spawn(process.execPath, [...process.execArgv, ...MAILFERRY_NODE_FLAGS, '--expose-gc', CHILD_PATH], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stdin.end(JSON.stringify(config));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`The fleet child exited with ${code}: ${stdout.slice(-2_000)}`);
  return JSON.parse(last) as FleetChildResult;
}

/** Messages in every folder of each mailbox, by STATUS: what is really at the destination. */
async function countAll(server: DovecotServer, users: string[], passwords: Record<string, string>): Promise<number[]> {
  const counts: number[] = new Array(users.length).fill(0);
  const next = [...users.keys()];
  await Promise.all(
    Array.from({ length: COUNT_LANES }, async () => {
      for (let i = next.shift(); i !== undefined; i = next.shift()) {
        const client = new ImapFlow({
          host: server.host,
          port: server.port,
          secure: false,
          logger: false,
          disableAutoIdle: true,
          auth: { user: users[i]!, pass: passwords[users[i]!]! },
        });
        await client.connect();
        try {
          for (const folder of await client.list({ statusQuery: { messages: true } })) counts[i]! += folder.status?.messages ?? 0;
        } finally {
          await client.logout().catch(() => client.close());
        }
      }
    }),
  );
  return counts;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
