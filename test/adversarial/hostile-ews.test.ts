/**
 * One pass over healthy and hostile mailboxes of one EWS source: the source endpoint is a proxy
 * in front of the EWS test server that spoils item reads of chosen mailboxes (hostile-ews-proxy.ts).
 * The hostile items fail or record errors with a reason; the healthy item is copied exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../api/core/model.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import {
  ADMIN_PASSWORD,
  createEwsMigrationFixture,
  expectExactlyOnce,
  itemsAt,
  seedMail,
  SOURCE_DOMAIN,
  type EwsMigrationFixture,
} from '../support/ews-migration-fixture.js';
import { waitForPass } from '../support/migration-fixture.js';
import { adversarialRun, reportCounts } from './adversarial-run.js';
import { SecretScanner } from './secret-scan.js';
import { startHostileEwsProxy, type HostileEwsMode, type HostileEwsProxy } from './hostile-ews-proxy.js';

const HOSTILE: Record<string, HostileEwsMode> = { cut: 'truncated', badxml: 'malformed-xml', junk: 'garbage' };
const MESSAGES = 30;
const PASS_DEADLINE_MS = 180_000;

describe('a pass over hostile and healthy mailboxes of one EWS source', { timeout: adversarialRun.testTimeoutMs }, () => {
  let fx: EwsMigrationFixture;
  let proxy: HostileEwsProxy;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({ source: { ews: {} }, destination: { ews: {} } });
    const modes = Object.fromEntries(Object.entries(HOSTILE).map(([name, mode]) => [`${name}@${SOURCE_DOMAIN}`, mode]));
    proxy = await startHostileEwsProxy(fx.source.ews!.url, modes, adversarialRun.seed);
  });
  afterAll(async () => {
    await proxy?.close();
    await fx?.close();
  });

  it('truncated, malformed and 8-bit answers fail or log their items with a reason; the healthy item is copied exactly once', async () => {
    const { services } = fx.runtime;
    const source = await fx.createEndpoint({
      name: 'Hostile EWS',
      kind: 'exchange',
      host: proxy.url,
      adminMode: 'delegation',
      authMechanism: 'password',
      adminLogin: `migration-admin@${SOURCE_DOMAIN}`,
      adminPassword: ADMIN_PASSWORD,
      domains: [],
    });
    const project = await services.projects.createProject(LOCAL_TENANT, {
      name: 'Hostile EWS',
      sourceEndpointId: source.id,
      destinationEndpointId: fx.destination.endpointId,
      options: [],
      maxConcurrentMigrations: 5,
    });
    const items: Record<string, Item> = {};
    const seeded: Record<string, string[]> = {};
    for (const name of [...Object.keys(HOSTILE), 'calm']) {
      const sourceUser = `${name}@${SOURCE_DOMAIN}`;
      await fx.source.addUser(sourceUser);
      await fx.destination.addUser(`${name}@dst.test`);
      seeded[name] = seedMail(fx, sourceUser, 'inbox', MESSAGES, `${name} mail`).map((i) => i.id);
      items[name] = await services.items.addItem(LOCAL_TENANT, project.id, {
        sourceAddress: sourceUser,
        destinationAddress: `${name}@dst.test`,
        endUserCredentials: false,
        options: [],
      });
    }
    const { pass } = await services.passes.startPass(LOCAL_TENANT, project.id, {
      kind: 'full',
      itemIds: Object.values(items).map((i) => i.id),
      itemTypes: ['mail'],
    });
    fx.runtime.startWorkers();
    const ended = await waitForPass(fx.runtime, pass.id, PASS_DEADLINE_MS);
    expect(ended.status).toBe('completed');

    expect((await services.items.getItem(LOCAL_TENANT, items.calm!.id)).status).toBe('Completed');
    expectExactlyOnce(itemsAt(fx.destination.ews!, 'calm@dst.test', 'Inbox'), seeded.calm!);
    const outcomes: string[] = [];
    for (const [name, mode] of Object.entries(HOSTILE)) {
      expect(proxy.spoiled[mode], `${mode} never happened`).toBeGreaterThan(0);
      const item = await services.items.getItem(LOCAL_TENANT, items[name]!.id);
      const errors = (await services.items.errorLog(LOCAL_TENANT, item.id)).items;
      const scanner = new SecretScanner();
      scanner.plant('source admin password', ADMIN_PASSWORD);
      scanner.capture(`${name} reason and error log`, JSON.stringify([item.lastRun, errors]));
      expect(scanner.leaks()).toEqual([]);
      outcomes.push(
        `${mode}: ${item.status} (${errors.length} error rows) ${item.lastRun?.reason ?? errors[0]?.reason ?? ''}`.slice(0, 160),
      );
      expect(['Failed', 'Completed With Errors'], `${name}: ${item.status}`).toContain(item.status);
      expect(`${item.lastRun?.reason ?? ''}${errors.map((e) => e.reason).join('')}`.length, `${name} has no reason`).toBeGreaterThan(10);
    }
    reportCounts('hostile EWS source', { items: Object.keys(items).length, outcomes: outcomes.join(' | ') });
  });
});
