/**
 * "Autodiscover Items" and "Save and Go to Summary" for an Exchange source, through the services
 * the HTTP API calls, the real EWS connector and the schema-checked EWS test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { createEwsMigrationFixture, type EwsMigrationFixture } from '../support/ews-migration-fixture.js';

describe('Autodiscover Items from an Exchange source', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({ source: { ews: {} }, destination: { ews: {} } });
    for (const name of ['ann', 'bob', 'cho', 'dee']) await fx.source.addUser(`${name}@src.test`);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('lists the mailboxes the source admin can reach', async () => {
    const { found } = await fx.runtime.services.discoverItems(LOCAL_TENANT, fx.projectId, { import: false });
    expect(found).toEqual(expect.arrayContaining(['ann@src.test', 'bob@src.test', 'cho@src.test', 'dee@src.test']));
    expect(found).toEqual([...found].sort());
  });

  it('imports only the picked mailboxes with the destination domain, and refuses an address it did not find', async () => {
    const result = await fx.runtime.services.discoverItems(LOCAL_TENANT, fx.projectId, {
      import: true,
      destinationDomain: 'dst.test',
      addresses: ['ann@src.test', 'cho@src.test'],
    });
    expect(result).toMatchObject({ added: 2, alreadyThere: 0 });
    const { items } = await fx.runtime.services.items.listItems(LOCAL_TENANT, fx.projectId, {});
    expect(items.map((i) => [i.sourceAddress, i.destinationAddress]).sort()).toEqual([
      ['ann@src.test', 'ann@dst.test'],
      ['cho@src.test', 'cho@dst.test'],
    ]);
    await expect(
      fx.runtime.services.discoverItems(LOCAL_TENANT, fx.projectId, {
        import: true,
        destinationDomain: 'dst.test',
        addresses: ['zed@src.test'],
      }),
    ).rejects.toThrow(/cannot reach zed@src\.test: pick addresses from the discovered list/);
    const again = await fx.runtime.services.discoverItems(LOCAL_TENANT, fx.projectId, {
      import: true,
      destinationDomain: 'dst.test',
      addresses: ['ann@src.test'],
    });
    expect(again).toMatchObject({ added: 0, alreadyThere: 1 });
  });

  it('checks the Exchange endpoint for "Save and Go to Summary", naming each check', async () => {
    const project = await fx.runtime.services.projects.getProject(LOCAL_TENANT, fx.projectId);
    const result = await fx.runtime.services.endpointChecks.validate(LOCAL_TENANT, project.sourceEndpointId, {
      testMailbox: 'bob@src.test',
    });
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['EWS URL', 'Connection', 'Server version']));
    const wrong = await fx.runtime.services.endpointChecks.validate(LOCAL_TENANT, project.sourceEndpointId, {
      testMailbox: 'nobody@src.test',
    });
    expect(wrong.ok).toBe(false);
    expect(wrong.checks.find((c) => c.status === 'failed')?.detail).toMatch(/nobody@src\.test/);
  });
});
