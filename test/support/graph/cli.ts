/**
 * Runs the Graph test server on its own:
 *   npm run graph-server -- --port 8081 --tenant contoso.onmicrosoft.com --users a@contoso.com,b@contoso.com \
 *     --shared s@contoso.com --groups g@contoso.com --app CLIENT_ID:SECRET[:perm,perm…] \
 *     [--accept-ews-export yes|no] [--concurrency 4] [--requests-per-window N] [--upload-bytes-per-window N] [--token-port P]
 *     [--delta-link-lifetime SECONDS]
 * Without a permission list the app has every permission Mailferry needs; with one, only those.
 * With --delta-link-lifetime, a delta link older than that answers 410 Gone (syncStateNotFound).
 * Prints GRAPH_URL, TOKEN_AUTHORITY, TOKEN_URL, TOKEN_CA_FILE (one `KEY=value` line each), then
 * `READY`; stops on SIGINT/SIGTERM, exiting 1 if any response it sent failed its own check.
 */
import { parseArgs } from 'node:util';
import { closeOnSignals } from '../script-process.js';
import { type GraphApp, startGraphServer } from './graph-server.js';

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
      'upload-bytes-per-window': { type: 'string' },
      'delta-link-lifetime': { type: 'string' },
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
      uploadBytesPerWindow: whole('upload-bytes-per-window', values['upload-bytes-per-window']),
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
