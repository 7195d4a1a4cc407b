/**
 * Runs the Graph test server on its own:
 *   npm run graph-server -- --port 8081 --tenant contoso.onmicrosoft.com --users a@contoso.com,b@contoso.com \
 *     --shared s@contoso.com --groups g@contoso.com --app CLIENT_ID:SECRET[:perm,perm…] \
 *     [--accept-ews-export yes|no] [--concurrency 4] [--requests-per-window N] [--request-window-seconds S]
 *     [--upload-bytes-per-window N] [--upload-window-seconds S] [--token-port P] [--delta-link-lifetime SECONDS] [--control-stdin]
 * Without a permission list the app has every permission Mailferry needs; with one, only those.
 * With --delta-link-lifetime, a delta link older than that answers 410 Gone (syncStateNotFound).
 * The limits are Exchange Online's unless given (10,000 requests per 600 s, 150 MiB of uploads per
 * 300 s, 4 in flight, per app and mailbox).
 * With --control-stdin it reads commands, one per line, from standard input (a bench drives it so):
 * `counters` prints `COUNTERS={…}` (the throttle's counters so far), `limits {"requestsPerWindow":…}`
 * changes limits from then on and prints `LIMITS={…}`.
 * Prints GRAPH_URL, TOKEN_AUTHORITY, TOKEN_URL, TOKEN_CA_FILE (one `KEY=value` line each), then
 * `READY`; stops on SIGINT/SIGTERM, exiting 1 if any response it sent failed its own check.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { closeOnSignals } from '../script-process.js';
import { type GraphApp, type GraphTestServer, startGraphServer } from './graph-server.js';

function app(spec: string): GraphApp {
  const [clientId, secret, perms] = spec.split(':');
  if (!clientId || !secret) throw new Error(`--app expects CLIENT_ID:SECRET[:perm,perm…], got "${spec}"`);
  return { clientId, secret, ...(perms ? { permissions: perms.split(',').filter(Boolean) } : {}) };
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function whole(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} expects a whole number, got "${value}"`);
  return Number(value);
}

function seconds(name: string, value: string | undefined): number | undefined {
  const s = whole(name, value);
  if (s === 0) throw new Error(`--${name} must be at least 1`);
  return s === undefined ? undefined : s * 1000;
}

const LIMIT_KEYS = ['concurrency', 'requestsPerWindow', 'requestWindowMs', 'uploadBytesPerWindow', 'uploadWindowMs'] as const;

/** `counters` and `limits {json}` on standard input (see the header); anything else is answered with ERROR=…. */
function controlFromStdin(server: GraphTestServer): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [command, ...rest] = line.trim().split(' ');
    try {
      if (command === 'counters') {
        process.stdout.write(`COUNTERS=${JSON.stringify(server.throttle.counters)}\n`);
      } else if (command === 'limits') {
        const wanted = JSON.parse(rest.join(' ')) as Record<string, unknown>;
        for (const [key, value] of Object.entries(wanted)) {
          if (!(LIMIT_KEYS as readonly string[]).includes(key) || !Number.isSafeInteger(value) || (value as number) < 1)
            throw new Error(`limits: ${key} must be one of ${LIMIT_KEYS.join(', ')} with a whole number ≥ 1`);
        }
        Object.assign(server.limits, wanted);
        process.stdout.write(`LIMITS=${JSON.stringify(server.limits)}\n`);
      } else if (command) {
        throw new Error(`unknown command "${command}" (counters, limits {json})`);
      }
    } catch (err) {
      process.stdout.write(`ERROR=${(err as Error).message}\n`);
    }
  });
  lines.on('close', () => undefined); // the driver went away: keep serving until a signal
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'token-port': { type: 'string', default: '0' },
      tenant: { type: 'string', default: 'contoso.onmicrosoft.com' },
      users: { type: 'string' },
      shared: { type: 'string' },
      groups: { type: 'string' },
      app: { type: 'string', multiple: true },
      'accept-ews-export': { type: 'string', default: 'no' },
      concurrency: { type: 'string' },
      'requests-per-window': { type: 'string' },
      'request-window-seconds': { type: 'string' },
      'upload-bytes-per-window': { type: 'string' },
      'upload-window-seconds': { type: 'string' },
      'delta-link-lifetime': { type: 'string' },
      'control-stdin': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const accept = values['accept-ews-export'];
  if (accept !== 'yes' && accept !== 'no') throw new Error(`--accept-ews-export expects yes or no, got "${accept}"`);
  if (!values.app?.length) throw new Error('--app CLIENT_ID:SECRET is required (the app registration that may call this server)');
  const limits = Object.fromEntries(
    Object.entries({
      concurrency: whole('concurrency', values.concurrency),
      requestsPerWindow: whole('requests-per-window', values['requests-per-window']),
      requestWindowMs: seconds('request-window-seconds', values['request-window-seconds']),
      uploadBytesPerWindow: whole('upload-bytes-per-window', values['upload-bytes-per-window']),
      uploadWindowMs: seconds('upload-window-seconds', values['upload-window-seconds']),
    }).filter(([, v]) => v !== undefined),
  );
  const lifetimeS = whole('delta-link-lifetime', values['delta-link-lifetime']);
  const server = await startGraphServer({
    tenant: values.tenant,
    users: list(values.users),
    shared: list(values.shared),
    groups: list(values.groups),
    apps: values.app.map(app),
    acceptEwsExport: accept === 'yes',
    limits,
    port: whole('port', values.port) ?? 0,
    tokenPort: whole('token-port', values['token-port']) ?? 0,
    ...(lifetimeS !== undefined ? { deltaLinkLifetimeMs: lifetimeS * 1000 } : {}),
  });
  const t = server.tokenEndpoint;
  process.stdout.write(
    `GRAPH_URL=${server.graphUrl}\nTOKEN_AUTHORITY=${t.authority}\nTOKEN_URL=${t.tokenUrl}\nTOKEN_CA_FILE=${t.caFile}\nREADY\n`,
  );

  if (values['control-stdin']) controlFromStdin(server);
  const v = server.validation;
  closeOnSignals(
    () => server.close(),
    () => `${v.requestsChecked} requests, ${v.responsesChecked} responses checked`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`graph-server: ${(err as Error).message}\n`);
  process.exit(1);
});
