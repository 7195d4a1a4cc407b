/**
 * What the Graph bench does besides running Mailferry: the Graph test server in a process of its
 * own, the reference writers that only import (importItem, importMime), filling the source
 * mailbox, and reading a mailbox back for the identity check. They use the product's Graph
 * session for sign-in, folders and exports, and send each import themselves, 4 in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds } from './proc-cpu.js';
import type { FolderInfo, MailboxAccess } from '../../api/core/connector.js';
import type { Endpoint } from '../../api/core/model.js';
import { GraphConnector } from '../../api/connectors/graph/index.js';
import { GraphSession } from '../../api/connectors/graph/graph-session.js';
import { trustingNetworkClient } from '../support/entra.js';
import { decodeBlob, encodeBlob, type GraphLimits } from '../support/graph/index.js';
import type { Corpus, CorpusMessage } from './corpus.js';

const SERVER_CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'graph', 'cli.js');
/** Exchange Online's requests in flight per app and mailbox: the reference writers use all of them. */
const IN_FLIGHT = 4;
export const APP = { clientId: '3b7f1c2d-9a8e-4f60-b1c2-d3e4f5a6b7c8', secret: 'graph-bench-secret' };
/** IMAP folder → the Exchange Online folder it lands in (the folder plan maps them the same way). */
export const WELL_KNOWN: Record<string, string> = { INBOX: 'Inbox', Sent: 'Sent Items', Drafts: 'Drafts', Trash: 'Deleted Items' };

export interface GraphServerProcess {
  graphUrl: string;
  tenantId: string;
  authorityHost: string;
  caFile: string;
  /** CPU seconds (user + system) the server process has used so far, from /proc. */
  cpuSeconds(): number;
  /** The server's throttle counters so far (its `counters` command). */
  counters(): Promise<ThrottleCounters>;
  /** Changes the server's limits from now on (its `limits` command); answers the limits in force. */
  setLimits(limits: Partial<GraphLimits>): Promise<GraphLimits>;
  stop(): Promise<void>;
}

export interface ThrottleCounters {
  admitted: number;
  concurrencyRefusals: number;
  requestBudgetRefusals: number;
  uploadBudgetRefusals: number;
  injected: number;
  maxInFlight: number;
}

/** The Graph test server with Exchange Online's default limits, in its own process (its own core for CSDL checks), driven on stdin. */
export async function startGraphServerProcess(users: string[]): Promise<GraphServerProcess> {
  const profile = process.env.BENCH_SERVER_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_CPU_PROF] : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [...profile, SERVER_CLI, '--users', users.join(','), '--app', `${APP.clientId}:${APP.secret}`, '--control-stdin'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  const answers: ((line: string) => void)[] = [];
  const vars = await new Promise<Record<string, string>>((resolve, reject) => {
    let ready = false;
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (!ready) {
        out += chunk;
        if (out.includes('READY')) {
          ready = true;
          resolve(Object.fromEntries([...out.matchAll(/^(\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!])));
        }
        return;
      }
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (/^(COUNTERS|LIMITS|ERROR)=/.test(line)) answers.shift()?.(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`The Graph test server exited (${code}): ${out}`)));
  });
  const command = async (line: string): Promise<unknown> => {
    const answer = await new Promise<string>((resolve) => {
      answers.push(resolve);
      child.stdin!.write(`${line}\n`);
    });
    const [key, ...rest] = answer.split('=');
    if (key === 'ERROR') throw new Error(`The Graph test server refused "${line}": ${rest.join('=')}`);
    return JSON.parse(rest.join('='));
  };
  const authority = new URL(vars['TOKEN_AUTHORITY']!);
  return {
    graphUrl: vars['GRAPH_URL']!,
    tenantId: authority.pathname.replace(/^\/+|\/+$/g, ''),
    authorityHost: authority.origin,
    caFile: vars['TOKEN_CA_FILE']!,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    counters: async () => (await command('counters')) as ThrottleCounters,
    setLimits: async (limits) => (await command(`limits ${JSON.stringify(limits)}`)) as GraphLimits,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** The endpoint body as the API takes it (the Mailferry children create it). */
export function graphEndpointInput(server: GraphServerProcess, name: string): Record<string, unknown> {
  return {
    name,
    kind: 'm365',
    protocol: 'graph',
    host: server.graphUrl,
    authMechanism: 'oauth-app',
    appClientId: APP.clientId,
    appTenantId: server.tenantId,
    appClientSecret: APP.secret,
  };
}

export class GraphBenchClient {
  private readonly connector: GraphConnector;
  private readonly endpoint: Endpoint;

  constructor(private readonly server: GraphServerProcess) {
    this.connector = new GraphConnector({
      modernAuth: { authorityHost: server.authorityHost, networkClient: trustingNetworkClient(readFileSync(server.caFile, 'utf8')) },
    });
    this.endpoint = {
      tenantId: 'bench',
      id: 'graph',
      version: 1,
      name: 'Graph test server',
      kind: 'm365',
      protocol: 'graph',
      host: server.graphUrl,
      authMechanism: 'oauth-app',
      appClientId: APP.clientId,
      appTenantId: server.tenantId,
      createdAt: new Date(0).toISOString(),
    } as Endpoint;
  }

  async open(mailbox: string): Promise<GraphSession> {
    const access: MailboxAccess = {
      endpoint: this.endpoint,
      mailbox,
      modernAuth: { clientId: APP.clientId, tenantId: this.server.tenantId, clientSecret: APP.secret },
    };
    const session = await this.connector.open(access);
    if (!(session instanceof GraphSession)) throw new Error(`${mailbox} opened as a Groups mailbox; the bench needs user mailboxes.`);
    return session;
  }

  /**
   * Imports the corpus into an empty mailbox, `mode` `item` through importItem (the server's own
   * stream, as exportItems gives it) or `mime` through beta importMime: the fastest a client gets
   * items into this server. Bodies are built before the clock starts; folders are made inside it.
   */
  async importAll(mailbox: string, corpus: Corpus, mode: 'item' | 'mime' | 'mime+state'): Promise<Timed> {
    const bodies = corpus.messages.map((m) => ({ m, data: (mode === 'item' ? blobOf(m) : m.raw).toString('base64') }));
    const started = performance.now();
    const session = await this.open(mailbox);
    const ids = await this.ensureFolders(session, corpus);
    const send = async ({ m, data }: (typeof bodies)[number]) => {
      const folderId = ids.get(m.folder)!;
      if (mode === 'item') {
        await session.sessions.importItem({ FolderId: folderId, Mode: 'create', Data: data }, `Importing into ${mailbox}`);
      } else {
        const { body } = await session.ctx.transport.send<{ id: string; receivedDateTime?: string }>({
          method: 'POST',
          url: `/beta/users/${encodeURIComponent(mailbox)}/mailFolders/${encodeURIComponent(folderId)}/importMime`,
          text: data,
          action: `Importing MIME into ${mailbox}`,
        });
        const state = mode === 'mime+state' ? stateOf(m, body.receivedDateTime) : undefined;
        if (state) {
          await session.ctx.transport.send({
            method: 'PATCH',
            url: `/v1.0/users/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(body.id)}`,
            json: state,
            action: `Setting read state in ${mailbox}`,
          });
        }
      }
    };
    await pool(bodies, IN_FLIGHT, send);
    return { messages: bodies.length, bytes: corpus.bytes, seconds: (performance.now() - started) / 1000 };
  }

  /** Corpus folder → the id of the folder it lands in (made where missing). */
  private async ensureFolders(session: GraphSession, corpus: Corpus): Promise<Map<string, string>> {
    const paths = new Map<string, string>();
    for (const folder of corpus.byFolder.keys()) paths.set(folder, (await session.ensureFolder(destSegments(folder), 'mail')).path);
    const byPath = new Map((await session.listFolders()).map((f) => [f.path, (f as FolderInfo & { id: string }).id]));
    return new Map([...paths].map(([folder, path]) => [folder, byPath.get(path)!]));
  }

  /**
   * Every item of a mailbox, per folder path: the sha256 of its export stream, and of the MIME
   * inside it (the stream is this test server's, which the bench may open; a client never does).
   */
  async contents(mailbox: string): Promise<Map<string, { streams: string[]; mimes: string[] }>> {
    const session = await this.open(mailbox);
    const out = new Map<string, { streams: string[]; mimes: string[] }>();
    for (const folder of await session.listFolders()) {
      const refs = await session.listMessages(folder);
      if (refs.length === 0) continue;
      const streams: string[] = [];
      const mimes: string[] = [];
      for await (const read of session.readMessages(folder, refs, { formats: ['graph-export'] })) {
        if ('error' in read) throw new Error(`Reading ${mailbox} ${folder.path} back failed: ${read.error.message}`);
        const blob = Buffer.from((read.content as Buffer).toString('latin1'), 'base64'); // graph-export: the stream as base64 text
        streams.push(sha(blob));
        const mime = decodeBlob(blob)?.mime;
        if (mime !== undefined) mimes.push(sha(Buffer.from(mime, 'base64')));
      }
      out.set(folder.path, { streams: streams.sort(), mimes: mimes.sort() });
    }
    return out;
  }
}

/** utime + stime of a process (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s). */

export interface Timed {
  messages: number;
  bytes: number;
  seconds: number;
}

/** A corpus message as this server's export stream: mail with the message's own read state and flag. */
export function blobOf(m: CorpusMessage): Buffer {
  return encodeBlob({
    type: 'IPM.Note',
    mime: m.raw.toString('base64'),
    subject: `bench ${m.index}`,
    isRead: m.flags.includes('\\Seen'),
    isDraft: false,
    flagged: m.flags.includes('\\Flagged'),
    categories: [],
    receivedDateTime: new Date(m.internalDate).toISOString(),
  });
}

/**
 * What MIME does not carry and a copy from IMAP must set afterwards (one PATCH): read state, flag,
 * keywords, and the internal date as the delivery time when the import gave the message another
 * (the Date header is written up to 10 minutes before the internal date, so nearly always); or
 * nothing when there is none of these.
 */
function stateOf(m: CorpusMessage, receivedDateTime: string | undefined): Record<string, unknown> | undefined {
  const isRead = m.flags.includes('\\Seen');
  const flagged = m.flags.includes('\\Flagged');
  const categories = m.flags.filter((f) => !f.startsWith('\\') && !f.startsWith('$'));
  const redate = Math.floor(Date.parse(receivedDateTime ?? '') / 1000) !== Math.floor(m.internalDate / 1000);
  if (!isRead && !flagged && categories.length === 0 && !redate) return undefined;
  return {
    ...(isRead ? { isRead } : {}),
    ...(flagged ? { flag: { flagStatus: 'flagged' } } : {}),
    ...(categories.length ? { categories } : {}),
    ...(redate ? { singleValueExtendedProperties: [{ id: 'SystemTime 0x0E06', value: new Date(m.internalDate).toISOString() }] } : {}),
  };
}

/** A corpus folder ('/'-separated IMAP path) as its Exchange Online path segments. */
export function destSegments(folder: string): string[] {
  return WELL_KNOWN[folder] ? [WELL_KNOWN[folder]!] : folder.split('/');
}

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function pool<T>(items: T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, lane));
}
