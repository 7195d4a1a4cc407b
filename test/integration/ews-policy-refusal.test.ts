/**
 * An Exchange Online tenant that switched EWS off answers every call 403 with
 * `X-EWS-Policy-Reason` (the EWS test server's ewsDisabled). The item fails at once, with an
 * error that says so and names both ways out: switch the endpoint to Microsoft Graph, or
 * allow-list this app id with Set-OrganizationConfig -EwsAllowedAppIDs until 2027-04-01.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { TEST_APP, createEwsMigrationFixture, type EwsMigrationFixture } from '../support/ews-migration-fixture.js';

describe('EWS refused by Exchange Online policy', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({
      source: { ews: {}, endpoint: { kind: 'm365', adminMode: 'impersonation', authMechanism: 'oauth-app' } },
      destination: { ews: {} },
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('fails the item with the reason and both ways out, and the endpoint check says the same', async () => {
    const { itemId } = await fx.addMailbox('alice');
    fx.source.ews!.ewsDisabled = true;
    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary).toMatchObject({ failedItems: 1, copied: 0 });
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.status).toBe('Failed');
    const reason = item.lastRun?.reason ?? '';
    expect(reason).toContain('X-EWS-Policy-Reason: "EWS is disabled for this user or tenant"');
    expect(reason).toContain('switch this endpoint to Microsoft Graph');
    expect(reason).toContain(`Set-OrganizationConfig -EwsAllowedAppIDs "${TEST_APP.clientId}"`);
    expect(reason).toContain('2027-04-01');

    const check = await fx.runtime.services.endpointChecks.validate(LOCAL_TENANT, fx.source.endpointId, { testMailbox: 'alice@src.test' });
    expect(check.ok).toBe(false);
    expect(check.checks.find((c) => c.status === 'failed')?.detail).toContain('Set-OrganizationConfig -EwsAllowedAppIDs');
  }, 120_000);
});
