/**
 * `npm run bench:ews`: Mailferry's EWS throughput against the EWS test server's own limit. The
 * server (test/support/ews) checks every SOAP body against Microsoft's schema, in this process;
 * each Mailferry pass runs in a child process, so its peak RSS is its own. The order of work:
 *   1. build the seeded corpus (the IMAP bench's, smaller by default) and fill a Dovecot source;
 *   (a) upload limit: our EWS writer puts the in-memory corpus into an empty mailbox with
 *       CreateItem (MIME) — the fastest an uploader gets from this server; the same upload then
 *       fills the EWS source, a second test server in its own process;
 *   (a') export/upload limit: the source's items exported (ExportItems, timed apart) and uploaded
 *       with UploadItems into another empty mailbox;
 *   (b) Mailferry `full` IMAP (Dovecot) → EWS, then its delta;
 *   (c) Mailferry `full` EWS → EWS (ExportItems → UploadItems), then its delta;
 *   5. check both destinations hold every message (counts per folder; MIME bytes equal for (b)).
 * Ratios: (b) against (a), (c) against (a'). Env: BENCH_EWS_MESSAGES (2000), BENCH_SEED,
 * BENCH_EWS_IN_FLIGHT (requests in flight, as EwsRequestsInFlight; default the connector's 10),
 * BENCH_EWS_CONNECTOR (JSON EwsConnectorOptions), BENCH_TRACE=1 (read vs write time in (b), (c)),
 * BENCH_CPU_PROF=DIR (V8 CPU profiles of the Mailferry children), BENCH_CHILD_FLAGS (extra Node flags for them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FolderInfo, MessageRef, SourceMessage } from '../../api/core/connector.js';
import { EwsConnector, type EwsConnectorOptions } from '../../api/connectors/ews/index.js';
import type { EwsSession } from '../../api/connectors/ews/ews-session.js';
import type { Endpoint } from '../../api/core/model.js';
import { startDovecot } from '../support/dovecot.js';
import { startEwsServer, type EwsTestServer } from '../support/ews/ews-server.js';
import { itemsIn } from '../support/ews/items.js';
import { buildCorpus, MB, type Corpus } from './corpus.js';
import { runMailferryChild } from './mailferry-run.js';
import type { ChildResult } from './mailferry-child.js';
import { formatTable, loadAverage, positiveInt, rate, round, type Row } from './report.js';
import { appendCorpus, SOURCE_SEPARATOR } from './servers.js';

const DEFAULT_MESSAGES = 2_000;
const DEFAULT_SEED = 20_240_601;
const DOMAIN = 'bench.test';
const ADMIN = { smtp: `admin@${DOMAIN}`, password: 'admin-bench-pw' };
/** Mailboxes on the EWS test server, one per writer so they all meet an empty mailbox. */
const EWS_USERS = { source: 'src', uploadLimit: 'upload', exportLimit: 'import', fromImap: 'fromimap', fromEws: 'fromews' } as const;
/** The compiled EWS test server command line (test/support/ews/cli.ts), run for the EWS source. */
const SERVER_CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'ews', 'cli.js');
const IMAP_SOURCE = 'src';
const IMAP_PASSWORD = 'src-bench-pw';
/** IMAP folder → the EWS well-known folder it lands in (the folder plan maps them the same way). */
const WELL_KNOWN: Record<string, string[]> = { INBOX: ['Inbox'], Sent: ['Sent Items'], Drafts: ['Drafts'], Trash: ['Deleted Items'] };
const RATE_DIGITS = 1;
const RATIO_DIGITS = 3;

async function main(): Promise<number> {
  const messages = positiveInt(process.env.BENCH_EWS_MESSAGES, DEFAULT_MESSAGES, 'BENCH_EWS_MESSAGES');
  const seed = positiveInt(process.env.BENCH_SEED, DEFAULT_SEED, 'BENCH_SEED');
  const inFlight = process.env.BENCH_EWS_IN_FLIGHT ? positiveInt(process.env.BENCH_EWS_IN_FLIGHT, 10, 'BENCH_EWS_IN_FLIGHT') : undefined;
  const benchStarted = performance.now();
  const loadAtStart = loadAverage();
  const work = mkdtempSync(join(tmpdir(), 'mailferry-ews-bench-'));
  const step = (what: string) => console.error(`[${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${what}`);

  step(`building ${messages} messages (seed ${seed})`);
  const corpus = buildCorpus(messages, seed);
  const bytes = corpus.bytes;
  const users = Object.values(EWS_USERS).map((u) => ({ smtp: `${u}@${DOMAIN}`, password: `${u}-bench-pw` }));
  // The EWS source is a server of its own in another process: each test server answers on one
  // thread, and a copy between two mailboxes of one server would have it export and import at once.
  const [server, sourceServer, dovecot] = await Promise.all([
    startEwsServer({ users, admin: ADMIN }),
    startSourceServer(users),
    startDovecot({ separator: SOURCE_SEPARATOR, users: { [IMAP_SOURCE]: IMAP_PASSWORD } }),
  ]);
  // BENCH_EWS_CONNECTOR='{"limits":{"batchBytes":2097152}}' tries other connector settings in (a), (b) and (c).
  const connectorOptions = process.env.BENCH_EWS_CONNECTOR ? (JSON.parse(process.env.BENCH_EWS_CONNECTOR) as EwsConnectorOptions) : {};
  const connector = new EwsConnector({ ...connectorOptions, requestsInFlight: inFlight });
  const endpoint: Endpoint = {
    tenantId: 'bench',
    id: 'ews',
    version: 1,
    name: 'EWS test server',
    kind: 'exchange',
    host: server.url,
    adminMode: 'delegation',
    adminLogin: ADMIN.smtp,
    createdAt: new Date(0).toISOString(),
  };
  const sourceEndpoint: Endpoint = { ...endpoint, id: 'ews-source', host: sourceServer.url };
  const open = (user: string) => connector.open({ endpoint, mailbox: `${user}@${DOMAIN}`, adminPassword: ADMIN.password });
  const openSource = () =>
    connector.open({ endpoint: sourceEndpoint, mailbox: `${EWS_USERS.source}@${DOMAIN}`, adminPassword: ADMIN.password });
  try {
    step(`corpus: ${(bytes / MB).toFixed(1)} MB in ${corpus.byFolder.size} folders; filling the Dovecot source`);
    const fill = await appendCorpus(dovecot, IMAP_SOURCE, corpus);

    step('(a) CreateItem upload limit, then the same upload fills the EWS source server');
    const upload = await uploadCorpus(await open(EWS_USERS.uploadLimit), corpus);
    await uploadCorpus(await openSource(), corpus);

    step("(a') ExportItems from the source, then the UploadItems limit");
    const exported = await exportAll(await openSource());
    const importLimit = await uploadMessages(await open(EWS_USERS.exportLimit), exported.byFolder);
    exported.byFolder.clear();

    const ewsEndpoint = {
      name: 'EWS',
      kind: 'exchange',
      host: server.url,
      adminMode: 'delegation',
      adminLogin: ADMIN.smtp,
      adminPassword: ADMIN.password,
    };
    const options = inFlight ? [`EwsRequestsInFlight=${inFlight}`] : [];
    step('(b) Mailferry full IMAP → EWS, then its delta');
    const fromImap = await runMailferryChild(
      {
        ews: connectorOptions,
        dataDir: join(work, 'imap-to-ews'),
        trace: process.env.BENCH_TRACE === '1',
        connector: {},
        project: {
          source: { name: 'Dovecot', kind: 'imap', host: dovecot.host, port: dovecot.port, security: 'none', adminMode: 'none' },
          destination: ewsEndpoint,
          item: {
            sourceAddress: `${IMAP_SOURCE}@imap.${DOMAIN}`,
            destinationAddress: `${EWS_USERS.fromImap}@${DOMAIN}`,
            sourceLogin: IMAP_SOURCE,
            sourcePassword: IMAP_PASSWORD,
            options,
          },
        },
      },
      { cpuProfileDir: process.env.BENCH_CPU_PROF },
    );

    step('(c) Mailferry full EWS → EWS, then its delta');
    const fromEws = await runMailferryChild(
      {
        ews: connectorOptions,
        dataDir: join(work, 'ews-to-ews'),
        trace: process.env.BENCH_TRACE === '1',
        connector: {},
        project: {
          source: { ...ewsEndpoint, name: 'EWS source', host: sourceServer.url },
          destination: { ...ewsEndpoint, name: 'EWS destination' },
          item: { sourceAddress: `${EWS_USERS.source}@${DOMAIN}`, destinationAddress: `${EWS_USERS.fromEws}@${DOMAIN}`, options },
        },
      },
      { cpuProfileDir: process.env.BENCH_CPU_PROF },
    );

    step('checking (b) and (c): every message at the destination');
    const checkImap = verify(server, EWS_USERS.fromImap, corpus, true);
    const checkEws = verify(server, EWS_USERS.fromEws, corpus, false);
    const checkUpload = verify(server, EWS_USERS.uploadLimit, corpus, true);

    const rows: Row[] = [
      { name: '(a) CreateItem upload limit', messages: upload.messages, bytes: upload.bytes, seconds: upload.seconds },
      { name: '    ExportItems (source read)', messages: exported.messages, bytes: exported.bytes, seconds: exported.seconds },
      { name: "(a') UploadItems limit", messages: importLimit.messages, bytes: importLimit.bytes, seconds: importLimit.seconds },
      passRow('(b) Mailferry IMAP→EWS full', fromImap.full),
      passRow('(b) delta', fromImap.delta, true),
      passRow('(c) Mailferry EWS→EWS full', fromEws.full),
      passRow('(c) delta', fromEws.delta, true),
      { name: '    Dovecot source fill (setup)', messages: fill.messages, bytes: fill.bytes, seconds: fill.seconds },
    ];
    const uploadRate = rate(upload.messages, upload.seconds);
    const importRate = rate(importLimit.messages, importLimit.seconds);
    const imapRate = rate(fromImap.full.copied, fromImap.full.seconds);
    const ewsRate = rate(fromEws.full.copied, fromEws.full.seconds);
    const complete = (r: ChildResult) => r.full.copied === messages && r.full.failed === 0 && r.delta.copied === 0;
    const identical = checkImap.ok && checkEws.ok && checkUpload.ok && complete(fromImap) && complete(fromEws);
    const v = server.validation;

    console.log('');
    console.log(
      `Mailferry EWS bench: ${messages} messages, ${(bytes / MB).toFixed(1)} MB, seed ${seed}, requests in flight ${inFlight ?? 'default (10)'}`,
    );
    console.log(formatTable(rows));
    console.log('');
    console.log(
      `Mailferry's own CPU: IMAP→EWS ${fromImap.full.cpuSeconds?.toFixed(2)} s in a ${fromImap.full.seconds.toFixed(2)} s pass, EWS→EWS ${fromEws.full.cpuSeconds?.toFixed(2)} s in ${fromEws.full.seconds.toFixed(2)} s (the rest of the 2 cores go to the test servers, their schema checks and Dovecot)`,
    );
    console.log(
      `IMAP→EWS / CreateItem limit: ${(imapRate / uploadRate).toFixed(2)}   EWS→EWS / UploadItems limit: ${(ewsRate / importRate).toFixed(2)}`,
    );
    console.log(
      `peak RSS: IMAP→EWS ${peak(fromImap).toFixed(1)} MB ${JSON.stringify(fromImap.memoryAtPeakMB)}, EWS→EWS ${peak(fromEws).toFixed(1)} MB ${JSON.stringify(fromEws.memoryAtPeakMB)}`,
    );
    console.log(
      `check (b): ${checkImap.ok ? 'complete, MIME byte-exact' : 'DIFFERENT'}; check (c): ${checkEws.ok ? 'complete' : 'DIFFERENT'}`,
    );
    for (const d of [...checkImap.differences, ...checkEws.differences].slice(0, 20)) console.log(`  ${d}`);
    for (const [name, r] of [
      ['(b)', fromImap],
      ['(c)', fromEws],
    ] as const)
      if (r.full.times) console.log(`${name} side times (ms): ${JSON.stringify(r.full.times)}`);
    console.log(
      `EWS test server: ${v.requestsValidated} requests and ${v.responsesValidated} responses schema-checked, ${server.validator.msPerMessage.toFixed(1)} ms per check`,
    );
    console.log(`load average (1 min) at start ${loadAtStart}, at end ${loadAverage()} on ${cpus().length} CPUs`);
    console.log(`whole bench: ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`);
    console.log(
      JSON.stringify({
        messages,
        bytes,
        createItemLimitMsgsPerS: round(uploadRate, RATE_DIGITS),
        uploadItemsLimitMsgsPerS: round(importRate, RATE_DIGITS),
        imapToEwsMsgsPerS: round(imapRate, RATE_DIGITS),
        imapToEwsMBPerS: round(fromImap.full.bytes / MB / fromImap.full.seconds, RATE_DIGITS),
        imapToEwsRatio: round(imapRate / uploadRate, RATIO_DIGITS),
        imapToEwsPeakRssMB: round(peak(fromImap), RATE_DIGITS),
        ewsToEwsMsgsPerS: round(ewsRate, RATE_DIGITS),
        ewsToEwsMBPerS: round(fromEws.full.bytes / MB / fromEws.full.seconds, RATE_DIGITS),
        ewsToEwsRatio: round(ewsRate / importRate, RATIO_DIGITS),
        ewsToEwsPeakRssMB: round(peak(fromEws), RATE_DIGITS),
        cpuSeconds: { imapToEws: round(fromImap.full.cpuSeconds ?? 0, 2), ewsToEws: round(fromEws.full.cpuSeconds ?? 0, 2) },
        deltaSeconds: { imapToEws: round(fromImap.delta.seconds, 3), ewsToEws: round(fromEws.delta.seconds, 3) },
        identical,
      }),
    );
    return identical ? 0 : 1;
  } finally {
    await Promise.allSettled([server.close(), dovecot.stop(), sourceServer.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The EWS source server in a child process; resolves once it printed its URL and READY. */
async function startSourceServer(users: { smtp: string; password: string }[]): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      SERVER_CLI,
      '--port',
      '0',
      '--users',
      users.map((u) => `${u.smtp}:${u.password}`).join(','),
      '--admin',
      `${ADMIN.smtp}:${ADMIN.password}`,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const found = /EWS_URL=(\S+)/.exec(out);
      if (found && out.includes('READY')) resolveUrl(found[1]!);
    });
    child.once('exit', (code) => reject(new Error(`The EWS source server exited (${code}): ${out}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
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

interface Timed {
  messages: number;
  bytes: number;
  seconds: number;
}

/** The corpus into an empty mailbox through our writer (CreateItem + MIME), folder by folder. */
async function uploadCorpus(session: EwsSession, corpus: Corpus): Promise<Timed> {
  const byFolder = new Map<string, SourceMessage[]>();
  for (const [folder, items] of corpus.byFolder) {
    byFolder.set(
      folder,
      items.map(
        (m): SourceMessage => ({
          ref: {
            key: `bench:${m.index}`,
            uid: m.index + 1,
            size: m.raw.length,
            internalDate: m.internalDate,
            flags: m.flags,
            itemType: 'mail',
          },
          content: m.raw,
        }),
      ),
    );
  }
  return uploadMessages(session, byFolder);
}

async function uploadMessages(session: EwsSession, byFolder: Map<string, SourceMessage[]>): Promise<Timed> {
  const started = performance.now();
  let messages = 0;
  let bytes = 0;
  try {
    for (const [folder, items] of byFolder) {
      const { path } = await session.ensureFolder(WELL_KNOWN[folder] ?? folder.split(SOURCE_SEPARATOR), 'mail');
      for await (const result of session.appendMessages(
        path,
        (async function* () {
          yield* items;
        })(),
      )) {
        if (result.error) throw new Error(`Upload to ${path} refused ${result.ref.key}: ${result.error.message}`);
        messages++;
        bytes += result.ref.size;
      }
    }
  } finally {
    await session.close();
  }
  return { messages, bytes, seconds: (performance.now() - started) / 1000 };
}

/** Every item of the source as an ExportItems blob, keyed by the IMAP-style folder name for uploadMessages. */
async function exportAll(session: EwsSession): Promise<Timed & { byFolder: Map<string, SourceMessage[]> }> {
  const started = performance.now();
  const byFolder = new Map<string, SourceMessage[]>();
  let messages = 0;
  let bytes = 0;
  const fromWellKnown = new Map(Object.entries(WELL_KNOWN).map(([imap, ews]) => [ews.join('/'), imap]));
  try {
    for (const folder of await session.listFolders()) {
      if (folder.noSelect) continue;
      const refs: MessageRef[] = await session.listMessages(folder);
      if (refs.length === 0) continue;
      const out: SourceMessage[] = [];
      for await (const read of session.readMessages(folder as FolderInfo, refs, { formats: ['ews-export'] })) {
        if ('error' in read) throw new Error(`Export of ${read.ref.key} failed: ${read.error.message}`);
        if (!Buffer.isBuffer(read.content)) read.content = await buffer(await read.content());
        out.push(read);
        messages++;
        bytes += read.ref.size;
      }
      byFolder.set(fromWellKnown.get(folder.path) ?? folder.path, out);
    }
  } finally {
    await session.close();
  }
  return { messages, bytes, seconds: (performance.now() - started) / 1000, byFolder };
}

/** Every corpus message is in the destination mailbox (per folder counts); for (b) also byte-exact MIME. */
function verify(server: EwsTestServer, user: string, corpus: Corpus, mimeExact: boolean): { ok: boolean; differences: string[] } {
  const mbx = server.store.mailbox(`${user}@${DOMAIN}`)!;
  const differences: string[] = [];
  const folderByPath = new Map<string, string>();
  const top = [...mbx.folders.values()].find((f) => f.distinguished === 'msgfolderroot')!;
  const walk = (parentId: string, prefix: string) => {
    for (const f of server.store.childrenOf(mbx, parentId)) {
      const path = prefix ? `${prefix}/${f.displayName}` : f.displayName;
      folderByPath.set(path, f.id);
      walk(f.id, path);
    }
  };
  walk(top.id, '');
  for (const [folder, items] of corpus.byFolder) {
    const destPath = (WELL_KNOWN[folder] ?? folder.split(SOURCE_SEPARATOR)).join('/');
    const id = folderByPath.get(destPath);
    const stored = id ? itemsIn(mbx, id) : [];
    if (stored.length !== items.length) differences.push(`${user} ${destPath}: ${stored.length} items, expected ${items.length}`);
    if (!mimeExact) continue;
    const want = new Set(items.map((m) => sha(m.raw)));
    const missing = stored.filter((s) => !s.mime || !want.has(sha(s.mime.bytes))).length;
    if (missing) differences.push(`${user} ${destPath}: ${missing} items whose MIME differs from the source`);
  }
  return { ok: differences.length === 0, differences };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
