/**
 * Which connector an endpoint reaches: an Exchange Online (`m365`) endpoint goes to Graph or EWS by
 * its protocol, and one stored before the choice existed (no `protocol`: a Cosmos document, or a
 * SQLite record from before migration 6) keeps EWS. Autodiscover over Graph says why not.
 */
import { describe, expect, it } from 'vitest';
import { createConnectorRegistry } from '../../api/connectors/registry.js';
import type { MailboxAccess, MailConnector, MailboxSession } from '../../api/core/connector.js';
import type { Endpoint } from '../../api/core/model.js';

/** A connector that only says who it is: this test is about routing, not about a protocol. */
function named(name: string, discovers = false): MailConnector & { opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    open: async (access: MailboxAccess) => {
      opened.push(`${name}:${access.mailbox}`);
      return { kind: access.endpoint.kind } as unknown as MailboxSession;
    },
    probe: async () => [{ check: name, status: 'ok', detail: '' }],
    ...(discovers ? { discoverMailboxes: async () => [`${name}@contoso.com`] } : {}),
  };
}

const endpoint = (patch: Partial<Endpoint>): Endpoint => ({
  tenantId: 't',
  id: 'e',
  version: 1,
  name: 'E',
  kind: 'm365',
  host: '',
  adminMode: 'impersonation',
  createdAt: '',
  ...patch,
});

describe('the connector registry', () => {
  const graph = named('graph');
  const ews = named('ews', true);
  const connectorFor = createConnectorRegistry({ graph, m365: ews });

  it('sends m365 endpoints to Graph or EWS by protocol, and ones without a protocol to EWS', async () => {
    await connectorFor('m365').open({ endpoint: endpoint({ protocol: 'graph' }), mailbox: 'a@contoso.com' });
    await connectorFor('m365').open({ endpoint: endpoint({ protocol: 'ews' }), mailbox: 'b@contoso.com' });
    await connectorFor('m365').open({ endpoint: endpoint({}), mailbox: 'c@contoso.com' });
    expect(graph.opened).toEqual(['graph:a@contoso.com']);
    expect(ews.opened).toEqual(['ews:b@contoso.com', 'ews:c@contoso.com']);
    expect(await connectorFor('m365').probe!({ endpoint: endpoint({ protocol: 'graph' }) })).toEqual([
      { check: 'graph', status: 'ok', detail: '' },
    ]);
  });

  it('lists mailboxes over EWS, and says why not over Graph', async () => {
    expect(await connectorFor('m365').discoverMailboxes!({ endpoint: endpoint({}) })).toEqual(['ews@contoso.com']);
    await expect(connectorFor('m365').discoverMailboxes!({ endpoint: endpoint({ protocol: 'graph' }) })).rejects.toThrow(
      /speaks Microsoft Graph.*Bulk Add/,
    );
  });
});
