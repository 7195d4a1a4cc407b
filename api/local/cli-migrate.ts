import { homedir } from 'node:os';
import { join } from 'node:path';
import { createConnectorRegistry } from '../connectors/registry.js';
import { ValidationError } from '../core/errors.js';
import { formatBytes } from '../core/human-units.js';
import type { Endpoint, Project } from '../core/model.js';
import { listAll } from '../core/list-all.js';
import { optional, type Flags } from './cli-args.js';
import { exitCodeFor, runUntilPassEnds } from './cli-watch.js';
import { EmbeddedRuntime, LOCAL_TENANT } from './embedded-runtime.js';

interface ImapUrl {
  host: string;
  port: number;
  security: 'tls' | 'none';
  user: string;
  password: string;
}

const IMAPS_PORT = 993;
const IMAP_PORT = 143;
/** Exit code of a first run refused because the destination already holds mail (see --into-non-empty). */
export const EXIT_DESTINATION_NOT_EMPTY = 3;

/**
 * `mailferry migrate --from imap://USER:PASS@HOST:PORT --to imaps://...`: no project to set up.
 * It keeps an embedded store under ~/.mailferry/migrate (or --data), keyed by the two URLs, so a
 * second run is a delta. Passwords may come from MAILFERRY_FROM_PASSWORD / MAILFERRY_TO_PASSWORD
 * to stay out of shell history.
 */
export async function migrateCommand(flags: Flags): Promise<number> {
  const from = parseImapUrl(optional(flags, 'from'), 'from', process.env.MAILFERRY_FROM_PASSWORD);
  const to = parseImapUrl(optional(flags, 'to'), 'to', process.env.MAILFERRY_TO_PASSWORD);
  const kind = (optional(flags, 'pass') ?? 'full') as 'full' | 'prestage' | 'trial' | 'verify';
  if (!['full', 'prestage', 'trial', 'verify'].includes(kind))
    throw new ValidationError(`--pass must be full, prestage, trial or verify (got "${kind}").`, { field: 'pass' });
  const before = optional(flags, 'before');
  if (kind === 'prestage' && !before) throw new ValidationError('A prestage pass needs --before, e.g. --before 90d.', { field: 'before' });

  const dataDir = optional(flags, 'data') ?? join(homedir(), '.mailferry', 'migrate');
  const runtime = await EmbeddedRuntime.open({ dataDir, log: quietLog });
  const started = Date.now();
  try {
    const { services } = runtime;
    const source = await findOrCreateEndpoint(runtime, from, flags['allow-self-signed-source'] === true);
    const destination = await findOrCreateEndpoint(runtime, to, flags['allow-self-signed-destination'] === true);
    const projectName = `migrate ${from.user}@${from.host}:${from.port} -> ${to.user}@${to.host}:${to.port}`;
    const project =
      (await listAll((c) => services.projects.listProjects(LOCAL_TENANT, undefined, c))).find((p) => p.name === projectName) ??
      (await services.projects.createProject(LOCAL_TENANT, {
        name: projectName,
        sourceEndpointId: source.id,
        destinationEndpointId: destination.id,
        options: [],
        maxConcurrentMigrations: 1,
      }));
    const item = await findOrCreateItem(runtime, project, from, to);
    // A first copy into a mailbox that already holds mail would copy everything again beside it:
    // nothing pairs the destination's messages with the source's, so ask before doing that.
    if (kind !== 'verify' && item.statistics.copied === 0 && flags['into-non-empty'] !== true) {
      const held = await messagesHeld(await services.projects.getEndpoint(LOCAL_TENANT, destination.id), to);
      if (held.total > 0) {
        const where = held.folders.map(([path, n]) => `${path} ${n}`).join(', ');
        console.error(
          `The destination mailbox ${to.user} already holds ${held.total} messages (${where}), and ${dataDir} has no record of copying any of them. ` +
            'A first pass copies every source message, so mail that is already there would be there twice. ' +
            "If it came from an earlier run, run again with that run's --data directory (it copies only what is new). " +
            'To copy into this mailbox anyway (to merge another mailbox into it), add --into-non-empty.',
        );
        if (flags.json === true)
          console.log(
            JSON.stringify({
              pass: kind,
              status: 'Not Started',
              reason: `The destination already holds ${held.total} messages.`,
              copied: 0,
              skipped: 0,
              failed: 0,
              destinationMessages: held.total,
            }),
          );
        return EXIT_DESTINATION_NOT_EMPTY;
      }
    }
    const { pass } = await services.passes.startPass(LOCAL_TENANT, project.id, {
      kind,
      itemIds: [item.id],
      cutoff: kind === 'prestage' ? before : undefined,
      itemTypes: ['mail'],
    });
    const ended = await runUntilPassEnds(runtime, pass.id, { quiet: flags.json === true });
    const finished = await services.items.getItem(LOCAL_TENANT, item.id);
    const summary = {
      pass: kind,
      status: finished.status,
      reason: finished.lastRun?.reason,
      copied: finished.lastRun?.copied ?? 0,
      skipped: finished.lastRun?.skipped ?? 0,
      failed: finished.lastRun?.failed ?? 0,
      flagsUpdated: finished.lastRun?.flagsUpdated ?? 0,
      bytes: finished.lastRun?.bytes ?? 0,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      folders: finished.progress?.folders ?? [],
    };
    if (flags.json === true) console.log(JSON.stringify(summary));
    else
      console.log(
        `${summary.status}: ${summary.copied} copied, ${summary.skipped} already there, ${summary.failed} failed, ${summary.flagsUpdated ? `${summary.flagsUpdated} with flags updated, ` : ''}${formatBytes(summary.bytes)} in ${summary.seconds} s${summary.reason ? ` — ${summary.reason}` : ''}`,
      );
    return exitCodeFor(ended);
  } finally {
    await runtime.close();
  }
}

export function parseImapUrl(text: string | undefined, field: string, envPassword?: string): ImapUrl {
  if (!text) throw new ValidationError(`--${field} is required, e.g. --${field} imaps://user@imap.contoso.com:993`, { field });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError(`--${field} "${redact(text)}" is not a URL; write imap://USER:PASS@HOST:PORT or imaps://...`, { field });
  }
  if (url.protocol !== 'imap:' && url.protocol !== 'imaps:')
    throw new ValidationError(`--${field} must start with imap:// or imaps:// (got ${url.protocol}//).`, { field });
  const security = url.protocol === 'imaps:' ? 'tls' : 'none';
  const user = decodeURIComponent(url.username);
  const password = url.password ? decodeURIComponent(url.password) : envPassword;
  if (!user) throw new ValidationError(`--${field} needs a user name: imap://USER@HOST.`, { field });
  if (!password)
    throw new ValidationError(`--${field} has no password: put it in the URL or in MAILFERRY_${field.toUpperCase()}_PASSWORD.`, { field });
  return { host: url.hostname, port: url.port ? Number(url.port) : security === 'tls' ? IMAPS_PORT : IMAP_PORT, security, user, password };
}

function redact(text: string): string {
  return text.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

async function findOrCreateEndpoint(runtime: EmbeddedRuntime, url: ImapUrl, allowSelfSigned: boolean): Promise<Pick<Endpoint, 'id'>> {
  const name = `${url.security === 'tls' ? 'imaps' : 'imap'}://${url.host}:${url.port}`;
  const endpoints = await listAll((c) => runtime.services.projects.listEndpoints(LOCAL_TENANT, undefined, c));
  return (
    endpoints.find((e) => e.name === name) ??
    runtime.services.projects.createEndpoint(LOCAL_TENANT, {
      name,
      kind: 'imap',
      host: url.host,
      port: url.port,
      security: url.security,
      allowSelfSigned,
      adminMode: 'none',
      authMechanism: 'password',
      domains: [],
    })
  );
}

async function findOrCreateItem(runtime: EmbeddedRuntime, project: Project, from: ImapUrl, to: ImapUrl) {
  const { items } = runtime.services;
  const existing = (await listAll((c) => items.listItems(LOCAL_TENANT, project.id, { cursor: c }))).find(
    (i) => i.sourceLogin === from.user,
  );
  const credentials = {
    sourceLogin: from.user,
    sourcePassword: from.password,
    destinationLogin: to.user,
    destinationPassword: to.password,
  };
  if (existing) return items.updateItem(LOCAL_TENANT, existing.id, credentials);
  return items.addItem(LOCAL_TENANT, project.id, {
    sourceAddress: mailboxAddress(from),
    destinationAddress: mailboxAddress(to),
    ...credentials,
    endUserCredentials: false,
    options: [],
  });
}

/** Messages in each folder of the destination mailbox, largest first (folders without any left out). */
async function messagesHeld(endpoint: Endpoint, url: ImapUrl): Promise<{ total: number; folders: [string, number][] }> {
  const session = await createConnectorRegistry()('imap').open({
    endpoint,
    mailbox: mailboxAddress(url),
    login: url.user,
    password: url.password,
  });
  try {
    const folders: [string, number][] = [];
    for (const folder of await session.listFolders()) {
      if (folder.noSelect) continue;
      const count = (await session.listMessages(folder)).length;
      if (count > 0) folders.push([folder.path, count]);
    }
    folders.sort((a, b) => b[1] - a[1]);
    return { total: folders.reduce((sum, [, n]) => sum + n, 0), folders };
  } finally {
    await session.close();
  }
}

/**
 * The item needs an address; a login such as `src2` has none, so it is kept under the reserved
 * `.invalid` domain (RFC 2606), which nothing the CLI prints shows: errors name the login itself.
 */
function mailboxAddress(url: ImapUrl): string {
  if (url.user.includes('@')) return url.user.toLowerCase();
  return `${url.user.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}@imap.invalid`;
}

const quietLog = { info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };
