/**
 * Runs the EWS test server on its own:
 *   npm run ews-server -- --port 8080 --users alice@contoso.test:pw,bob@contoso.test:pw \
 *     --admin admin@contoso.test:pw [--groups team@contoso.test] [--oauth-app CLIENT_ID:SECRET] [--token-port P] [--ews-disabled]
 * Serves http://127.0.0.1:PORT/EWS/Exchange.asmx with Basic auth (the admin holds FullAccess and
 * the impersonation right; group owners are the users). With --oauth-app it also serves the
 * HTTPS Entra token endpoint and accepts its Bearer tokens. Prints one `KEY=value` line per
 * address, then `READY`; stops on SIGINT/SIGTERM. With --ews-disabled every call answers 403 with
 * `X-EWS-Policy-Reason: EWS is disabled for this user or tenant`, as a tenant with EWS switched off does.
 */
import { parseArgs } from 'node:util';
import { closeOnSignals } from '../script-process.js';
import { startEwsServer, type EwsAccount } from './ews-server.js';

function account(spec: string): EwsAccount {
  const colon = spec.indexOf(':');
  if (colon < 1) throw new Error(`expected address:password, got "${spec}"`);
  return { smtp: spec.slice(0, colon), password: spec.slice(colon + 1) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      users: { type: 'string', default: '' },
      admin: { type: 'string' },
      groups: { type: 'string', default: '' },
      'oauth-app': { type: 'string' },
      'token-port': { type: 'string', default: '0' },
      'ews-disabled': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const users = values.users.split(',').filter(Boolean).map(account);
  const oauthApp = values['oauth-app'] ? account(values['oauth-app']) : undefined;
  const server = await startEwsServer({
    users,
    ...(values.admin ? { admin: account(values.admin) } : {}),
    groups: values.groups
      .split(',')
      .filter(Boolean)
      .map((smtp) => ({ smtp, owners: users.map((u) => u.smtp) })),
    port: Number(values.port),
    ewsDisabled: values['ews-disabled'],
    ...(oauthApp
      ? { oauth: { apps: [{ clientId: oauthApp.smtp, clientSecret: oauthApp.password }], tokenPort: Number(values['token-port']) } }
      : {}),
  });
  const out = [`EWS_URL=${server.url}`];
  if (server.tokenEndpoint) {
    out.push(
      `TOKEN_AUTHORITY=${server.tokenEndpoint.authority}`,
      `TOKEN_URL=${server.tokenEndpoint.tokenUrl}`,
      `TOKEN_CA_FILE=${server.tokenEndpoint.caFile}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\nREADY\n`);

  const v = server.validation;
  closeOnSignals(
    () => server.close(),
    () => `${v.requestsValidated} requests, ${v.responsesValidated} responses validated`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`ews-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
