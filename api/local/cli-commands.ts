/**
 * Every `mailferry` command but `migrate` (cli-migrate.ts): each opens the embedded runtime on the
 * data directory and calls one member of the application. Loaded only when such a command runs,
 * so `mailferry migrate` does not pay for zod and the rest at its start.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatBytes } from '../core/human-units.js';
import { ensureError, MailferryError } from '../core/errors.js';
import { endpointProtocol, type ItemStatus } from '../core/model.js';
import {
  changeDomainInput,
  endpointInput,
  endpointPatch,
  endpointTestInput,
  itemInput,
  parseInput,
  passInput,
  projectInput,
  projectPatch,
} from '../core/schemas.js';
import { listAll } from '../core/list-all.js';
import type { EndpointCheck } from '../core/connector.js';
import { ALL_GRAPH_PERMISSIONS } from '../connectors/graph/permissions.js';
import { EXIT, integer, optional, required, secretFromEnv, type Flags } from './cli-args.js';
import { exitCodeFor, runUntilPassEnds } from './cli-watch.js';
import { EmbeddedRuntime, LOCAL_TENANT as T } from './embedded-runtime.js';
import { embeddedConfigFromEnv } from './local-settings.js';
import type { DeliveryReport } from '../core/end-user/end-user-service.js';

/** `args`: the words after the command's own (`mailferry endpoint sign-in NAME`). */
type Command = (runtime: EmbeddedRuntime, flags: Flags, args: string[]) => Promise<number>;

/** `--app-certificate-file`: the app certificate and its private key, read from a file (never from the command line, which others can see). */
async function certificateFile(flags: Flags): Promise<{ appCertificate?: string }> {
  const path = optional(flags, 'app-certificate-file');
  if (!path) return {};
  try {
    return { appCertificate: await readFile(resolve(path), 'utf8') };
  } catch (error) {
    throw new MailferryError(
      'validation',
      `--app-certificate-file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? ensureError(error).message}).`,
      { field: 'app-certificate-file' },
    );
  }
}
const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const list = (flags: Flags) =>
  optional(flags, 'items')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const commands: Record<string, Command> = {
  'endpoint add': async (rt, f) => {
    const created = await rt.services.projects.createEndpoint(
      T,
      parseInput(endpointInput, {
        kind: 'imap',
        // An app registration reaches mailboxes only by impersonation (EWS and Graph alike), as the console saves it.
        ...(optional(f, 'auth-mechanism') === 'oauth-app' ? { adminMode: 'impersonation' } : {}),
        ...endpointFlags(f),
        ...(await certificateFile(f)),
        allowSelfSigned: f['allow-self-signed'] === true,
      }),
    );
    print(created);
    // What the admin does next, on stderr so that stdout stays the endpoint's JSON for scripts.
    if (created.kind === 'm365' && endpointProtocol(created) === 'graph') {
      console.error(
        `Grant the app ${created.appClientId} these Microsoft Graph application permissions (Entra admin center → App registrations → the app → ` +
          `API permissions → Add a permission → Microsoft Graph → Application permissions), then "Grant admin consent":\n  ${ALL_GRAPH_PERMISSIONS.join('\n  ')}\n` +
          `Then check each of them: mailferry endpoint check --endpoint ${created.id} --test-mailbox <an address in the tenant> [--side source|destination]`,
      );
    }
    return EXIT.ok;
  },
  // Only the flags given change; a password not given keeps the stored one.
  'endpoint edit': async (rt, f) => {
    print(
      await rt.services.projects.updateEndpoint(
        T,
        required(f, 'endpoint'),
        parseInput(endpointPatch, { ...endpointFlags(f), ...(await certificateFile(f)) }),
      ),
    );
    return EXIT.ok;
  },
  'endpoint delete': async (rt, f) => {
    const id = required(f, 'endpoint');
    const { name } = await rt.services.projects.getEndpoint(T, id);
    await rt.services.projects.deleteEndpoint(T, id);
    console.log(`Endpoint "${name}" deleted.`);
    return EXIT.ok;
  },
  // An edit of the protocol (and, for a Groups endpoint, the app it signs in with): flags not given stay out.
  'endpoint set-protocol': async (rt, f) => {
    const { protocol, appClientId, appTenantId } = endpointFlags(f);
    const patch = Object.fromEntries(Object.entries({ protocol, appClientId, appTenantId }).filter(([, value]) => value !== undefined));
    print(await rt.services.projects.updateEndpoint(T, required(f, 'endpoint'), parseInput(endpointPatch, patch)));
    return EXIT.ok;
  },
  'endpoint sign-in': async (rt, f, args) => signInCommand(rt, args[0] ?? required(f, 'endpoint')),
  'endpoint check': async (rt, f, args) => checkCommand(rt, f, args[0] ?? required(f, 'endpoint')),
  'endpoint list': async (rt, f) =>
    table(
      (await listAll((c) => rt.services.projects.listEndpoints(T, optional(f, 'search'), c))).map((e) => ({
        id: e.id,
        name: e.name,
        kind: e.kind,
        protocol: endpointProtocol(e),
        host: e.host,
        port: e.port ?? '',
        admin: e.adminMode,
        'signed in as': e.signedInAs ?? '',
      })),
    ),
  'project create': async (rt, f) => {
    print(
      await rt.services.projects.createProject(
        T,
        parseInput(projectInput, {
          name: optional(f, 'name'),
          sourceEndpointId: optional(f, 'source'),
          destinationEndpointId: optional(f, 'destination'),
          options: f.option ?? [],
          maxConcurrentMigrations: integer(f, 'max-concurrent'),
          teamsWebhookUrl: secretFromEnv(f, 'teams-webhook-env'),
        }),
      ),
    );
    return EXIT.ok;
  },
  'project list': async (rt, f) =>
    table(
      (await listAll((c) => rt.services.projects.listProjects(T, optional(f, 'search'), c))).map((p) => ({
        id: p.id,
        name: p.name,
        options: p.options.join(' '),
      })),
    ),
  'project options': async (rt, f) => {
    print(await rt.services.projects.updateProject(T, required(f, 'project'), parseInput(projectPatch, { options: f.option ?? [] })));
    return EXIT.ok;
  },
  'item add': async (rt, f) => {
    print(
      await rt.services.items.addItem(
        T,
        required(f, 'project'),
        parseInput(itemInput, {
          sourceAddress: optional(f, 'source'),
          destinationAddress: optional(f, 'destination'),
          sourceLogin: optional(f, 'source-login'),
          sourcePassword: secretFromEnv(f, 'source-password-env'),
          destinationLogin: optional(f, 'destination-login'),
          destinationPassword: secretFromEnv(f, 'destination-password-env'),
          options: f.option ?? [],
          endUserCredentials: f['end-user'] === true,
        }),
      ),
    );
    return EXIT.ok;
  },
  'item import': async (rt, f) => {
    const report = await rt.services.items.bulkAdd(T, required(f, 'project'), await readFile(resolve(required(f, 'csv')), 'utf8'));
    console.log(`${report.added} item(s) added.`);
    for (const p of report.problems) console.log(`  line ${p.line}, ${p.column}: ${p.message}`);
    return report.problems.length ? EXIT.partial : EXIT.ok;
  },
  'item delete': async (rt, f) => {
    const ids = list(f) ?? [required(f, 'item')];
    let failed = 0;
    // Each on its own: a running item is refused with its reason, the others still go.
    for (const id of ids) {
      try {
        const { sourceAddress } = await rt.services.items.getItem(T, id);
        await rt.services.items.deleteItem(T, id);
        console.log(`Deleted ${sourceAddress}.`);
      } catch (error) {
        failed++;
        console.log(`  not deleted: ${id}: ${ensureError(error).message}`);
      }
    }
    return !failed ? EXIT.ok : failed < ids.length ? EXIT.partial : EXIT.failed;
  },
  'item list': async (rt, f) =>
    table(
      (
        await listAll((c) =>
          rt.services.items.listItems(T, required(f, 'project'), {
            status: optional(f, 'status') as ItemStatus | undefined,
            search: optional(f, 'search'),
            cursor: c,
          }),
        )
      ).map((i) => ({
        id: i.id,
        source: i.sourceAddress,
        destination: i.destinationAddress,
        status: i.status,
        copied: i.statistics.copied,
        failed: i.statistics.failed,
        reason: i.lastRun?.reason ?? '',
      })),
    ),
  'item change-domain': async (rt, f) => {
    const result = await rt.services.items.changeDomain(
      T,
      required(f, 'project'),
      parseInput(changeDomainInput, {
        side: optional(f, 'side'),
        fromDomain: optional(f, 'from'),
        toDomain: optional(f, 'to'),
        itemIds: list(f),
      }),
    );
    console.log(`${result.changed} item(s) changed.`);
    return EXIT.ok;
  },
  'pass start': async (rt, f) => {
    // Through the same service as the HTTP route, so items waiting for their end users get their links.
    const result = await rt.services.startPass(
      T,
      required(f, 'project'),
      parseInput(passInput, {
        kind: optional(f, 'kind'),
        itemIds: list(f),
        cutoff: optional(f, 'cutoff'),
        dateFrom: optional(f, 'date-from'),
        dateTo: optional(f, 'date-to'),
        itemTypes: optional(f, 'item-types')?.split(','),
        startAt: optional(f, 'start-at'),
      }),
    );
    console.log(`Pass ${result.pass.id} (${result.pass.kind}) submitted for ${result.accepted.length} item(s).`);
    for (const r of result.refused) console.log(`  not submitted: ${r.sourceAddress}: ${r.reason}`);
    printCredentialRequests(result.credentialRequests);
    if (f.wait !== true) return EXIT.ok;
    const ended = await runUntilPassEnds(rt, result.pass.id);
    print(ended.summary);
    return exitCodeFor(ended);
  },
  'pass stop': async (rt, f) => {
    print(await rt.services.passes.stopPass(T, required(f, 'pass')));
    return EXIT.ok;
  },
  progress: async (rt, f) => {
    do {
      const { items, totals } = await rt.services.progress(T, required(f, 'project'));
      table(
        items.map((i) => ({
          source: i.sourceAddress,
          status: i.status,
          folders: i.progress ? `${i.progress.foldersDone}/${i.progress.foldersTotal}` : '',
          copied: i.progress?.copied ?? '',
          failed: i.progress?.failed ?? '',
          folder: i.progress?.currentFolder ?? '',
        })),
      );
      console.log(
        Object.entries(totals)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', '),
      );
      if (f.watch === true) await new Promise((r) => setTimeout(r, 2000));
    } while (f.watch === true);
    return EXIT.ok;
  },
  errors: async (rt, f) =>
    table(
      (await listAll((c) => rt.services.items.errorLog(T, required(f, 'item'), c))).map((e) => ({
        folder: e.folder,
        key: e.sourceKey,
        code: e.code,
        reason: e.reason,
        at: e.at,
      })),
    ),
  stats: async (rt, f) => {
    const format = optional(f, 'format') ?? 'table';
    if (format === 'csv') process.stdout.write(await rt.services.statistics.projectCsv(T, required(f, 'project')));
    else if (format === 'json') print(await rt.services.statistics.project(T, required(f, 'project')));
    else {
      const s = await rt.services.statistics.project(T, required(f, 'project'));
      console.log(
        `items ${s.items} · at the destination ${s.messagesAtDestination} · errors now ${s.currentErrors} · over all passes: copied ${s.copied}, skipped ${s.skipped}, failed ${s.failed}, ${formatBytes(s.bytes)} at ${s.messagesPerSecond} msg/s`,
      );
      console.log(
        Object.entries(s.byStatus)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', '),
      );
      for (const r of s.errorsByReason) console.log(`  ${r.count} × ${r.code}: ${r.reason}`);
    }
    return EXIT.ok;
  },
};

/** The endpoint fields given as flags; absent flags stay out, so an edit changes only what was given. */
function endpointFlags(f: Flags): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    name: optional(f, 'name'),
    kind: optional(f, 'kind'),
    host: optional(f, 'host'),
    port: integer(f, 'port'),
    security: optional(f, 'security'),
    adminMode: optional(f, 'admin-mode'),
    adminLogin: optional(f, 'admin-login'),
    adminPassword: secretFromEnv(f, 'admin-password-env'),
    authMechanism: optional(f, 'auth-mechanism'),
    cloud: optional(f, 'cloud'),
    protocol: optional(f, 'protocol'),
    appClientId: optional(f, 'app-client-id'),
    appTenantId: optional(f, 'app-tenant-id'),
    appClientSecret: secretFromEnv(f, 'app-secret-env'),
    allowSelfSigned: f['allow-self-signed'] === true ? true : undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

const CHECK_MARK: Record<EndpointCheck['status'], string> = { ok: 'passed ', failed: 'FAILED ', warning: 'warning', skipped: 'skipped' };

/** "Save and Go to Summary" in a terminal: each check on its line with what to fix; exit 1 when one failed. */
async function checkCommand(rt: EmbeddedRuntime, f: Flags, which: string): Promise<number> {
  const endpoint = await findEndpoint(rt, which);
  const side = optional(f, 'side');
  if (side !== undefined && side !== 'source' && side !== 'destination') {
    throw new MailferryError('validation', `--side takes source or destination (the side the endpoint is checked for), not "${side}".`, {
      field: 'side',
    });
  }
  const { ok, checks } = await rt.services.endpointChecks.validate(
    T,
    endpoint.id,
    parseInput(endpointTestInput, {
      testMailbox: optional(f, 'test-mailbox'),
      testLogin: optional(f, 'test-login'),
      testPassword: secretFromEnv(f, 'test-password-env'),
      role: side,
    }),
  );
  if (f.json === true) print({ ok, checks });
  else {
    console.log(`Checks of endpoint "${endpoint.name}"${side ? ` as a ${side}` : ''}:`);
    for (const c of checks) console.log(`  ${CHECK_MARK[c.status]}  ${c.check}: ${c.detail}`);
    console.log(ok ? 'No check failed.' : 'Some checks failed: fix what they say and run the check again.');
  }
  return ok ? EXIT.ok : EXIT.failed;
}

async function findEndpoint(rt: EmbeddedRuntime, which: string) {
  const endpoints = await listAll((c) => rt.services.projects.listEndpoints(T, undefined, c));
  const endpoint = endpoints.find((e) => e.id === which) ?? endpoints.find((e) => e.name.toLowerCase() === which.toLowerCase());
  if (!endpoint)
    throw new MailferryError('validation', `No endpoint has the id or name "${which}". Run "mailferry endpoint list".`, {
      field: 'endpoint',
    });
  return endpoint;
}

/** The administrator's device-code sign-in in a terminal: the code, then who signed in (or why not). */
async function signInCommand(rt: EmbeddedRuntime, which: string): Promise<number> {
  const endpoint = await findEndpoint(rt, which);
  const started = await rt.services.signIns.start(T, endpoint.id);
  console.log(started.prompt!.message);
  console.log(`Waiting for the sign-in to "${endpoint.name}" (the code works until ${started.prompt!.expiresAt}; Ctrl+C stops)…`);
  const ended = await rt.services.signIns.settled(T, endpoint.id);
  if (ended.state !== 'signed-in') {
    console.error(`Not signed in: ${ended.error ?? 'the sign-in did not finish.'}`);
    return EXIT.failed;
  }
  console.log(
    `Signed in as ${ended.signedInAs}. Endpoint "${endpoint.name}" now posts to Microsoft 365 Groups as ${ended.signedInAs}; the sign-in is kept encrypted in the vault.`,
  );
  return EXIT.ok;
}

/** What became of the credential links a pass sent to items waiting for their end users. */
function printCredentialRequests(report: DeliveryReport | { error: string } | undefined): void {
  if (!report) return;
  if ('error' in report) return void console.log(`Credential links not sent: ${report.error}`);
  console.log(`Credential links: ${report.sent} sent, ${report.failed} failed.`);
  for (const r of report.results.filter((x) => x.status === 'failed')) console.log(`  not sent to ${r.address ?? r.itemId}: ${r.reason}`);
}

function table(rows: Record<string, unknown>[]): number {
  if (!rows.length) {
    console.log('(none)');
    return EXIT.ok;
  }
  const keys = Object.keys(rows[0]!);
  const width = (k: string) => Math.min(60, Math.max(k.length, ...rows.map((r) => String(r[k] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.slice(0, 60).padEnd(width(keys[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(keys));
  for (const r of rows) console.log(line(keys.map((k) => String(r[k] ?? ''))));
  return EXIT.ok;
}

/** Every command this module runs, by its words ('item add'); docs/cli.md is held to this list. */
export const COMMAND_NAMES: readonly string[] = Object.keys(commands);

/** Runs `command` (its words, e.g. ['item', 'add']) on the data directory; EXIT.usage when there is no such command. */
export async function runCommand(command: string[], flags: Flags): Promise<number> {
  const name = command.slice(0, 2).join(' ');
  const run = commands[name] ?? commands[command[0]!];
  if (!run) {
    console.error(`Unknown command "${command.join(' ')}". Run "mailferry help".`);
    return EXIT.usage;
  }
  const runtime = await EmbeddedRuntime.open(
    embeddedConfigFromEnv(process.env, resolve(optional(flags, 'data') ?? process.env.MAILFERRY_DATA ?? '.mailferry')),
  );
  try {
    return await run(runtime, flags, command.slice(commands[name] ? 2 : 1));
  } finally {
    await runtime.close();
  }
}
