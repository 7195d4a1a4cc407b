/**
 * Microsoft 365 endpoints through the real engine and the schema-checked EWS test server:
 * a Microsoft 365 Groups destination (Inbox and Calendar only, delegation only) and Modern Auth
 * (an app's client credentials from the local Entra token endpoint, impersonation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUPS_FOLDER_FILTER } from '../../api/connectors/ews/index.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { seedItem, seedMessage } from '../support/ews/items.js';
import {
  ADMIN_PASSWORD,
  TEST_APP,
  createEwsMigrationFixture,
  folderCounts,
  itemsAt,
  markerOf,
  type EwsMigrationFixture,
} from '../support/ews-migration-fixture.js';

const GROUP = 'team@dst.test';

function mime(subject: string): string {
  return (
    `From: Sender <sender@fabrikam.test>\r\nTo: alice@src.test\r\nSubject: ${subject}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n` +
    `Message-ID: <${subject.replace(/\W/g, '')}@fabrikam.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${subject}\r\n`
  );
}

/** Mail in Inbox and Sent Items, a meeting in Calendar. */
function seedSource(fx: EwsMigrationFixture, smtp: string): void {
  const store = fx.source.ews!.store;
  for (let i = 0; i < 3; i++) seedMessage(store, smtp, 'inbox', mime(`Group mail ${i}`), { received: Date.UTC(2024, 0, 2 + i) });
  seedMessage(store, smtp, 'sentitems', mime('Sent by Alice'), { received: Date.UTC(2024, 0, 5) });
  seedItem(
    store,
    smtp,
    'calendar',
    '<t:CalendarItem><t:Subject>Team offsite</t:Subject><t:Start>2024-06-03T08:00:00Z</t:Start><t:End>2024-06-03T16:00:00Z</t:End></t:CalendarItem>',
  );
}

describe('Microsoft 365 to a Microsoft 365 Groups mailbox', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({
      source: { ews: {}, endpoint: { kind: 'm365', adminMode: 'delegation' } },
      destination: {
        ews: {
          groups: [
            { smtp: GROUP, displayName: 'Team' },
            { smtp: 'team2@dst.test', displayName: 'Team 2' },
          ],
        },
        endpoint: { kind: 'm365-group', adminMode: 'delegation' },
      },
    });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('copies Inbox and Calendar and completes when the FolderFilter leaves the rest out', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('alice', {
      destination: GROUP,
      options: [`FolderFilter="${GROUPS_FOLDER_FILTER}"`],
    });
    seedSource(fx, sourceUser);
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'calendar'] });
    expect(pass.summary).toMatchObject({ completed: 1, copied: 4, failed: 0 });
    expect(folderCounts(fx.destination.ews!, GROUP)).toEqual({ Inbox: 3, Calendar: 1 });
    expect(itemsAt(fx.destination.ews!, GROUP, 'Inbox').every((i) => markerOf(i) !== undefined)).toBe(true);
  });

  it('without the FolderFilter, every other folder fails with an error naming it, and Inbox and Calendar are still copied', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('bob', { destination: 'team2@dst.test' });
    seedSource(fx, sourceUser);
    await fx.runPass('full', [itemId], { itemTypes: ['mail', 'calendar'] });
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    const log = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    const reasons = [item.lastRun?.reason ?? '', ...log.items.map((r) => r.reason)].join('\n');
    expect(reasons).toContain(`FolderFilter="${GROUPS_FOLDER_FILTER}"`);
    expect(reasons).toMatch(/Sent Items/);
    expect(item.status).toBe('Completed With Errors');
    // One row per item of a refused folder (Sent Items holds one), one row for each refused empty folder.
    const sent = itemsAt(fx.source.ews!, sourceUser, 'Sent Items')[0]!;
    expect(log.items.map((r) => [r.folder, r.sourceKey]).sort()).toEqual([
      ['Deleted Items', '(folder)'],
      ['Drafts', '(folder)'],
      ['Junk Email', '(folder)'],
      ['Outbox', '(folder)'],
      ['Sent Items', sent.id],
    ]);
    for (const row of log.items) expect(row.reason).toContain(`FolderFilter="${GROUPS_FOLDER_FILTER}"`);
    expect(folderCounts(fx.destination.ews!, 'team2@dst.test')).toEqual({ Inbox: 3, Calendar: 1 });
  });

  it('refuses impersonation on a Groups endpoint: at endpoint creation, and in the connector', async () => {
    const server = fx.destination.ews!;
    const input = {
      name: 'Groups by impersonation',
      kind: 'm365-group',
      host: server.url,
      adminMode: 'impersonation',
      adminLogin: `migration-admin@dst.test`,
      adminPassword: ADMIN_PASSWORD,
      domains: [],
    };
    await expect(fx.createEndpoint(input)).rejects.toThrow(
      'adminMode: Microsoft 365 Groups mailboxes cannot be impersonated; use delegation (make the admin an owner or member of each group)',
    );
    // An endpoint stored without that check (an older record, another client) is refused by the connector.
    const services = fx.runtime.services;
    const endpoint = await services.projects.createEndpoint(LOCAL_TENANT, {
      ...input,
      kind: 'm365-group',
      adminMode: 'impersonation',
      security: 'tls',
      allowSelfSigned: false,
      authMechanism: 'password',
    });
    const project = await services.projects.createProject(LOCAL_TENANT, {
      name: 'Groups impersonation',
      sourceEndpointId: fx.source.endpointId,
      destinationEndpointId: endpoint.id,
      options: [],
      maxConcurrentMigrations: 1,
    });
    const item = await services.items.addItem(LOCAL_TENANT, project.id, {
      sourceAddress: 'alice@src.test',
      destinationAddress: GROUP,
      endUserCredentials: false,
      options: [],
    });
    const { pass } = await services.passes.startPass(LOCAL_TENANT, project.id, { kind: 'verify', itemIds: [item.id], itemTypes: ['mail'] });
    fx.runtime.startWorkers();
    const { waitForPass } = await import('../support/migration-fixture.js');
    await waitForPass(fx.runtime, pass.id);
    const after = await services.items.getItem(LOCAL_TENANT, item.id);
    expect(after.status).toBe('Failed');
    expect(after.lastRun?.reason).toMatch(/Microsoft 365 Groups mailboxes cannot be impersonated/);
    expect(after.lastRun?.reason).toMatch(/delegation/);
  });
});

describe('Modern Auth (an app registration, impersonation) against Microsoft 365', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({
      source: { ews: {}, endpoint: { kind: 'm365', adminMode: 'impersonation', authMechanism: 'oauth-app' } },
      destination: { ews: {} },
    });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('runs a full pass with tokens from the local token endpoint, every source request carrying a Bearer token', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('alice');
    seedSource(fx, sourceUser);
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'calendar'] });
    expect(pass.summary).toMatchObject({ completed: 1, copied: 5, failed: 0 });
    const src = fx.source.ews!;
    expect(src.validation.bearer).toBeGreaterThan(0);
    expect(src.validation.bearer).toBe(src.validation.requestsValidated);
    expect(src.tokenEndpoint!.issued).toBeGreaterThanOrEqual(1);
    expect(folderCounts(fx.destination.ews!, destUser)).toMatchObject({ Inbox: 3, 'Sent Items': 1, Calendar: 1 });
    const endpoint = await fx.runtime.services.projects.getEndpoint(LOCAL_TENANT, fx.source.endpointId);
    expect(endpoint).toMatchObject({ authMechanism: 'oauth-app', appClientId: TEST_APP.clientId, adminMode: 'impersonation' });
  });
});
