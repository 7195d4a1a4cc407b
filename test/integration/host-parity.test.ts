/**
 * One scenario, three hosts. The embedded host (over HTTP), the Azure Functions app (its HTTP
 * trigger and its engine, with loopback stand-ins for Entra ID, Microsoft Graph sendMail and the
 * Teams webhook) and the `mailferry` CLI each run it: a project with a normal item and an item
 * whose end user confirms the password, a verify pass, the end user's link, the pass's end. Each
 * host must send the end-user link and post exactly one Adaptive Card: a host whose wiring drops
 * the mailer or the pass-ended listener fails here (the CLI once sent no links, Azure once posted
 * no card). Real Dovecots on both sides, a real SMTP server, real HTTP receivers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLeasedJob } from '../../api/core/engine/run-leased-job.js';
import { buildAzureHost, JOB_LOCK_MS, type AzureHost } from '../../api/functions/azure-host.js';
import { createHttpHandler } from '../../api/functions/http-handler.js';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { startLocalApi, type LocalApi } from '../support/local-api.js';
import { silentLog } from '../support/migration-fixture.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestIssuer, TEST_AUDIENCE, type TestIssuer } from '../support/test-issuer.js';
import { waitUntil } from '../support/wait-until.js';

const HOSTS = ['embedded', 'azure', 'cli'] as const;
type HostName = (typeof HOSTS)[number];
const PASSWORD = 'mailbox-pw';
const PUBLIC_URL = 'https://mailferry.test';
const LINK = /https:\/\/mailferry\.test\/end-user\/credentials#token=([A-Za-z0-9._-]+)/;
const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';
const TENANT = '55555555-5555-4555-8555-555555555555';
const OWNER = 'c0c0c0c0-0000-4000-8000-0000000000aa';
const TEAMS_APP_ID = '5f0c3a9e-0000-4000-8000-00000000beef';
const SCENARIO_TIMEOUT_MS = 120_000;

const normalUser = (host: HostName) => `ana-${host}`;
const endUser = (host: HostName) => `eve-${host}`;

interface Api {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
}

interface Outcome {
  /** What the start-pass answer said about the credential links. */
  credentialRequests: unknown;
  /** The end-user link each host mailed to the waiting item, as the mail carried it. */
  linkMail: string;
  passStatus: string;
  projectName: string;
}

describe('the same pass on every host sends the end-user link and posts one card', () => {
  let source: DovecotServer;
  let destination: DovecotServer;
  let smtp: SmtpSink;
  let graph: HttpSink;
  let teams: HttpSink;
  let issuer: TestIssuer;
  const dirs: string[] = [];
  const outcomes = new Map<HostName, Outcome>();
  const tempDir = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `mailferry-parity-${name}-`));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    const users = (domain: string) =>
      Object.fromEntries(HOSTS.flatMap((h) => [normalUser(h), endUser(h)]).map((u) => [`${u}@${domain}`, PASSWORD]));
    [source, destination, smtp, graph, teams, issuer] = await Promise.all([
      startDovecot({ separator: '/', users: users('src.test') }),
      startDovecot({ separator: '.', users: users('dst.test') }),
      startSmtpSink(),
      startHttpSink(),
      startHttpSink(),
      startTestIssuer(),
    ]);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill();
    await Promise.all([source?.stop(), destination?.stop(), smtp?.close(), graph?.close(), teams?.close(), issuer?.close()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const endpoints = () => ({
    source: { name: 'Old IMAP', kind: 'imap', host: source.host, port: source.port, security: 'none', adminMode: 'none' },
    destination: {
      name: 'New IMAP',
      kind: 'imap',
      host: destination.host,
      port: destination.port,
      security: 'none',
      adminMode: 'plain-authzid',
      adminLogin: destination.masterUser,
      adminPassword: destination.masterPassword,
    },
  });
  const itemsOf = (host: HostName) => [
    {
      sourceAddress: `${normalUser(host)}@src.test`,
      destinationAddress: `${normalUser(host)}@dst.test`,
      sourceLogin: `${normalUser(host)}@src.test`,
      sourcePassword: PASSWORD,
    },
    { sourceAddress: `${endUser(host)}@src.test`, destinationAddress: `${endUser(host)}@dst.test`, endUserCredentials: true },
  ];
  const cardsFor = (host: HostName) => teams.requests.filter((r) => r.path === `/${host}`);
  const tokenIn = (text: string) => LINK.exec(text)?.[1];

  /** The scenario through a host's HTTP API; `work` runs that host's queued jobs once. */
  async function overHttp(host: HostName, api: Api, work: () => Promise<void>, linkMail: () => string | undefined): Promise<Outcome> {
    const src = await api.call('POST', '/endpoints', endpoints().source);
    const dst = await api.call('POST', '/endpoints', endpoints().destination);
    const projectName = `Parity on ${host}`;
    const project = await api.call('POST', '/projects', {
      name: projectName,
      sourceEndpointId: (src.json as { id: string }).id,
      destinationEndpointId: (dst.json as { id: string }).id,
      teamsWebhookUrl: `${teams.url}/${host}`,
    });
    expect(project.status, JSON.stringify(project.json)).toBe(201);
    const projectId = (project.json as { id: string }).id;
    for (const item of itemsOf(host)) expect((await api.call('POST', `/projects/${projectId}/items`, item)).status).toBe(201);
    const started = await api.call('POST', `/projects/${projectId}/passes`, { kind: 'verify' });
    expect(started.status, JSON.stringify(started.json)).toBe(202);
    const { pass: startedPass, credentialRequests } = started.json as { pass: { id: string }; credentialRequests: unknown };
    const mail = await waitUntil(`the ${host} host to mail the end-user link`, linkMail);
    const confirmed = await api.call('POST', '/end-user/credentials', { token: tokenIn(mail), password: PASSWORD });
    expect(confirmed.json).toMatchObject({ accepted: true });
    const ended = await waitUntil(
      `the pass on the ${host} host to end`,
      async () => {
        await work();
        const pass = (await api.call('GET', `/passes/${startedPass.id}`)).json as { status: string };
        return pass.status === 'completed' || pass.status === 'stopped' ? pass : undefined;
      },
      { timeoutMs: SCENARIO_TIMEOUT_MS },
    );
    await work(); // one more round: a settled pass must not post a second card
    return { credentialRequests, linkMail: mail, passStatus: ended.status, projectName };
  }

  const smtpMailTo = (host: HostName) => () => smtp.messages.find((m) => m.envelopeTo.includes(`${endUser(host)}@src.test`))?.text;

  it(
    'embedded host over HTTP',
    async () => {
      let local: LocalApi | undefined;
      try {
        local = await startLocalApi('parity', {
          publicBaseUrl: PUBLIC_URL,
          smtp: { host: smtp.host, port: smtp.port, secure: false, requireTls: false, from: 'IT <it@contoso.test>' },
          pollMs: 50,
        });
        local.runtime.startWorkers();
        outcomes.set('embedded', await overHttp('embedded', local, () => local!.runtime.tick(), smtpMailTo('embedded')));
      } finally {
        await local?.close();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'Azure Functions app (HTTP trigger and its engine; Graph mail, Entra and Teams on loopback)',
    async () => {
      const env = {
        MAILFERRY_ENTRA_AUDIENCES: TEST_AUDIENCE,
        MAILFERRY_ENTRA_JWKS_URI: issuer.jwksUri,
        MAILFERRY_ALLOWED_TENANTS: TENANT,
        MAILFERRY_TENANT_OWNERS: `${TENANT}:${OWNER}`,
        MAILFERRY_DATA: tempDir('azure'),
        HOME: tempDir('azure-home'),
        MAILFERRY_STORE: 'sqlite',
        MAILFERRY_MAIL_SENDER: 'migration@contoso.test',
        MAILFERRY_PUBLIC_URL: PUBLIC_URL,
        MAILFERRY_ALLOW_PRIVATE_DESTINATIONS: 'true',
        MAILFERRY_TEAMS_APP_ID: TEAMS_APP_ID,
      };
      const managedIdentity: TokenCredential = {
        getToken: async () => ({ token: 'graph-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
      };
      const host: AzureHost = await buildAzureHost(env, { credential: managedIdentity, graphBaseUrl: `${graph.url}/v1.0` });
      const handler = createHttpHandler(async () => host);
      const bearer = `Bearer ${await issuer.mint({ tid: TENANT, oid: OWNER, name: 'Olga' })}`;
      const api: Api = {
        async call(method, path, body) {
          const res = await handler(
            new HttpRequest({
              method,
              url: `https://mailferry.azurewebsites.net/api/v1${path}`,
              headers: { authorization: bearer, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
              body: body === undefined ? undefined : { string: JSON.stringify(body) },
            }),
            new InvocationContext({ functionName: 'api' }),
          );
          return { status: res.status ?? 200, json: res.body ? JSON.parse(String(res.body)) : undefined };
        },
      };
      // What the Service Bus trigger does with each message, here over the SQLite queue the app chose.
      const work = async () => {
        for (let job = await host.queue.lease('parity', JOB_LOCK_MS); job; job = await host.queue.lease('parity', JOB_LOCK_MS)) {
          await runLeasedJob(host.engine, host.queue, job, JOB_LOCK_MS);
        }
      };
      const graphMailTo = () =>
        graph.requests
          .map((r) => JSON.parse(r.body))
          .find((m) => m.message.toRecipients[0].emailAddress.address === `${endUser('azure')}@src.test`)?.message.body.content;
      try {
        outcomes.set('azure', await overHttp('azure', api, work, graphMailTo));
      } finally {
        await host.engine.store.close();
      }
      expect(cardsFor('azure')[0]?.body).toContain(`https://teams.microsoft.com/l/entity/${TEAMS_APP_ID}/admin-console`);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'mailferry CLI (pass start --wait runs the pass in the CLI process)',
    async () => {
      const dataDir = tempDir('cli');
      const env = {
        MAILFERRY_DATA: dataDir,
        MAILFERRY_PUBLIC_URL: PUBLIC_URL,
        MAILFERRY_SMTP_HOST: smtp.host,
        MAILFERRY_SMTP_PORT: String(smtp.port),
        MAILFERRY_SMTP_REQUIRE_TLS: 'false',
        HOOK: `${teams.url}/cli`,
        ADMIN_PW: destination.masterPassword,
        ITEM_PW: PASSWORD,
      };
      const json = async (args: string[]) => {
        const run = await mailferry(args, env);
        expect(run.code, run.stderr).toBe(0);
        return JSON.parse(run.stdout);
      };
      const { source: s, destination: d } = endpoints();
      const src = await json([
        'endpoint',
        'add',
        '--name',
        s.name,
        '--kind',
        'imap',
        '--host',
        s.host,
        '--port',
        String(s.port),
        '--security',
        'none',
      ]);
      const dst = await json([
        'endpoint',
        'add',
        '--name',
        d.name,
        '--kind',
        'imap',
        '--host',
        d.host,
        '--port',
        String(d.port),
        '--security',
        'none',
        '--admin-mode',
        'plain-authzid',
        '--admin-login',
        d.adminLogin,
        '--admin-password-env',
        'ADMIN_PW',
      ]);
      const projectName = 'Parity on cli';
      const project = await json([
        'project',
        'create',
        '--name',
        projectName,
        '--source',
        src.id,
        '--destination',
        dst.id,
        '--teams-webhook-env',
        'HOOK',
      ]);
      const [normal, waiting] = itemsOf('cli');
      await json([
        'item',
        'add',
        '--project',
        project.id,
        '--source',
        normal!.sourceAddress,
        '--destination',
        normal!.destinationAddress,
        '--source-login',
        normal!.sourceLogin!,
        '--source-password-env',
        'ITEM_PW',
      ]);
      await json([
        'item',
        'add',
        '--project',
        project.id,
        '--source',
        waiting!.sourceAddress,
        '--destination',
        waiting!.destinationAddress,
        '--end-user',
      ]);

      const pass = mailferry(['pass', 'start', '--project', project.id, '--kind', 'verify', '--wait'], env);
      const mail = await waitUntil('the CLI to mail the end-user link', smtpMailTo('cli'), { timeoutMs: SCENARIO_TIMEOUT_MS });
      // The end user answers on the page `npm start` serves from the same data directory.
      const page = await EmbeddedRuntime.open({ dataDir, log: silentLog, publicBaseUrl: PUBLIC_URL });
      try {
        expect(await page.services.endUser.submitCredentials(tokenIn(mail)!, { password: PASSWORD })).toMatchObject({ accepted: true });
      } finally {
        await page.close();
      }
      const ended = await pass;
      expect(ended.code, ended.stderr).toBe(0);
      expect(ended.stdout).toMatch(/Credential links: 1 sent, 0 failed\./);
      outcomes.set('cli', { credentialRequests: { sent: 1 }, linkMail: mail, passStatus: 'completed', projectName });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it.each(HOSTS)('%s: sent the link and posted exactly one card for the ended pass', (host) => {
    const outcome = outcomes.get(host);
    expect(outcome, `the ${host} scenario did not finish`).toBeDefined();
    expect(outcome!.credentialRequests).toMatchObject({ sent: 1 });
    expect(tokenIn(outcome!.linkMail)).toBeTruthy();
    expect(outcome!.passStatus).toBe('completed');
    const cards = cardsFor(host);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.body).toContain(CARD_TYPE);
    expect(cards[0]!.body).toContain(outcome!.projectName);
  });
});

/** A failed scenario leaves `pass start --wait` waiting for its pass: afterAll ends it. */
const children: ChildProcess[] = [];

/** The CLI as an admin runs it, in its own process (tsx), without blocking this test's servers. */
function mailferry(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/local/cli.ts', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    children.push(child);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
