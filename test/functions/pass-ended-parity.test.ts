/**
 * Both hosts wire the same pass-ended listener: when a pass ends, the Azure Functions app and the
 * embedded host each post exactly one Adaptive Card to the project's Teams Workflows webhook (the
 * Azure app once only logged the pass). The webhook is a real HTTP receiver on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineDeps } from '../../api/core/engine/job-context.js';
import type { Mailferry } from '../../api/core/app/mailferry.js';
import { azureHost } from '../../api/functions/azure-host.js';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';

const QUIET = { info: () => {}, warn: () => {}, error: () => {} };
const TEAMS_APP_ID = '5f0c3a9e-0000-4000-8000-00000000beef';

interface Posted { path: string; body: string }

describe('a pass that ends posts its card on every host', () => {
  let receiver: Server;
  let receiverUrl: string;
  const posted: Posted[] = [];
  const dirs: string[] = [];
  let embedded: EmbeddedRuntime | undefined;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        posted.push({ path: req.url ?? '', body });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await embedded?.close();
    await new Promise((resolve) => receiver.close(resolve));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailferry-parity-'));
    dirs.push(dir);
    return dir;
  };

  /** A project with a webhook and one item, a pass on it, and the pass as the engine reports it ended. */
  async function endPass(host: { services: Mailferry; engine: EngineDeps }, tenantId: string, hook: string) {
    const { services, engine } = host;
    const endpoint = await services.projects.createEndpoint(tenantId, { name: 'Source', kind: 'imap', host: 'imap.contoso.test', security: 'tls', allowSelfSigned: false, adminMode: 'none', authMechanism: 'password', domains: [] });
    const project = await services.projects.createProject(tenantId, {
      name: `Wave 1 (${hook})`, sourceEndpointId: endpoint.id, destinationEndpointId: endpoint.id, options: [], maxConcurrentMigrations: 5, teamsWebhookUrl: `${receiverUrl}/${hook}`,
    });
    await services.items.addItem(tenantId, project.id, { sourceAddress: 'u1@contoso.test', destinationAddress: 'u1@fabrikam.test', endUserCredentials: false, options: [] });
    const started = await services.passes.startPass(tenantId, project.id, { kind: 'verify', itemTypes: ['mail'], startAt: new Date(Date.now() + 3_600_000).toISOString() });
    const summary = { items: 1, completed: 1, completedWithErrors: 0, failedItems: 0, stopped: 0, durationMs: 1_200, copied: 0, skipped: 0, failed: 0, bytes: 0 };
    const pass = { ...started.pass, status: 'completed' as const, endedAt: new Date().toISOString(), summary };
    await engine.onPassEnded?.(pass);
    return project;
  }

  it('the Azure Functions app posts one card, with the deep link to the tab', async () => {
    const host = await azureHost({ MAILFERRY_ENTRA_AUDIENCES: 'api://mailferry-test', MAILFERRY_ALLOWED_TENANTS: 'azure-tenant', MAILFERRY_DATA: tempDir(), MAILFERRY_TEAMS_APP_ID: TEAMS_APP_ID, HOME: tempDir() });
    const project = await endPass(host, 'azure-tenant', 'azure-hook');
    const cards = posted.filter((p) => p.path === '/azure-hook');
    expect(cards).toHaveLength(1);
    expect(cards[0]!.body).toContain(project.name);
    expect(cards[0]!.body).toContain('application/vnd.microsoft.card.adaptive');
    expect(cards[0]!.body).toContain(`https://teams.microsoft.com/l/entity/${TEAMS_APP_ID}/admin-console`);
  });

  it('the embedded host posts one card', async () => {
    embedded = await EmbeddedRuntime.open({ dataDir: tempDir(), log: QUIET });
    const project = await endPass(embedded, 'local', 'local-hook');
    const cards = posted.filter((p) => p.path === '/local-hook');
    expect(cards).toHaveLength(1);
    expect(cards[0]!.body).toContain(project.name);
  });
});
