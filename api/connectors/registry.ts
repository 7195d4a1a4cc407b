import type { EndpointCheck, EndpointProbe, MailboxAccess, MailboxSession, MailConnector } from '../core/connector.js';
import { MailferryError } from '../core/errors.js';
import { endpointProtocol, type EndpointKind } from '../core/model.js';
import { OPEN_OUTBOUND, type OutboundPolicy } from './outbound-policy.js';

/** Connectors by endpoint kind; `m365` (EWS) and `graph` are the two ways to Exchange Online. */
export type ConnectorOverrides = Partial<Record<EndpointKind | 'graph', MailConnector>>;

/**
 * Connectors this build can talk to, by endpoint kind. Chosen once by the composition root.
 * Each protocol's code (msal-node and the EWS stack are megabytes of modules) is loaded the first time an
 * endpoint of that kind is used, so a worker that only moves Exchange mailboxes never loads IMAP.
 * An `m365` endpoint speaks Graph or EWS by its `protocol`, so its connector chooses per call.
 */
export function createConnectorRegistry(
  overrides: ConnectorOverrides = {},
  outbound: OutboundPolicy = OPEN_OUTBOUND,
  signIn: { authorityHost?: string } = {},
): (kind: EndpointKind) => MailConnector {
  // An Entra ID stand-in (MAILFERRY_ENTRA_AUTHORITY_HOST, tests only) replaces every cloud's sign-in host.
  const modernAuth = signIn.authorityHost ? { modernAuth: { authorityHost: signIn.authorityHost } } : {};
  const imap = lazyConnector(async () => new (await import('./imap/imap-connector.js')).ImapConnector({ outbound }), { discovers: false });
  const ews = lazyConnector(async () => new (await import('./ews/ews-connector.js')).EwsConnector({ outbound, ...modernAuth }), {
    discovers: true,
  });
  const graph =
    overrides.graph ??
    lazyConnector(async () => new (await import('./graph/graph-connector.js')).GraphConnector({ outbound, ...modernAuth }), {
      discovers: false,
    });
  const { graph: _graph, m365, ...byKind } = overrides;
  const connectors: Record<EndpointKind, MailConnector> = {
    imap,
    exchange: ews,
    ...byKind,
    m365: byProtocol(graph, m365 ?? ews),
    'm365-group': byProtocol(graph, overrides['m365-group'] ?? ews),
  };
  return (kind) => connectors[kind];
}

/** Exchange Online: Graph or EWS, by the endpoint's protocol (records older than the choice: EWS). */
function byProtocol(graph: MailConnector, ews: MailConnector): MailConnector {
  const pick = (endpoint: Parameters<typeof endpointProtocol>[0]) => (endpointProtocol(endpoint) === 'graph' ? graph : ews);
  return {
    open: (access, signal) => pick(access.endpoint).open(access, signal),
    probe: async (probe) => pick(probe.endpoint).probe?.(probe) ?? [],
    startSignIn: async (endpoint) => {
      const chosen = pick(endpoint);
      if (!chosen.startSignIn)
        throw new MailferryError('unsupported', `Endpoint "${endpoint.name}" speaks EWS, which needs no administrator sign-in.`, {
          field: 'protocol',
        });
      return chosen.startSignIn(endpoint);
    },
    discoverMailboxes: async (probe) => {
      const chosen = pick(probe.endpoint);
      if (!chosen.discoverMailboxes) {
        throw new MailferryError(
          'unsupported',
          'Autodiscover Items lists mailboxes over EWS; this Microsoft 365 endpoint speaks Microsoft Graph, which Mailferry does not list mailboxes with yet. Use Bulk Add with a CSV.',
          { field: 'sourceEndpointId' },
        );
      }
      return chosen.discoverMailboxes(probe);
    },
  };
}

/**
 * A connector whose implementation is imported on first use. Which optional methods exist must
 * be known without loading it: `discoverMailboxes` absent is how the API says "not possible here".
 */
function lazyConnector(load: () => Promise<MailConnector>, capabilities: { discovers: boolean }): MailConnector {
  let loaded: Promise<MailConnector> | undefined;
  const connector = () => (loaded ??= load());
  const lazy: MailConnector = {
    open: async (access: MailboxAccess, signal?: AbortSignal): Promise<MailboxSession> => (await connector()).open(access, signal),
    probe: async (probe: EndpointProbe): Promise<EndpointCheck[]> => {
      const real = await connector();
      return real.probe ? real.probe(probe) : [];
    },
    startSignIn: async (endpoint) => {
      const real = await connector();
      if (!real.startSignIn)
        throw new MailferryError('unsupported', `Endpoint "${endpoint.name}" needs no administrator sign-in.`, { field: 'protocol' });
      return real.startSignIn(endpoint);
    },
  };
  if (capabilities.discovers) {
    lazy.discoverMailboxes = async (probe: EndpointProbe): Promise<string[]> => {
      const real = await connector();
      if (!real.discoverMailboxes) throw new Error('This connector cannot list mailboxes.');
      return real.discoverMailboxes(probe);
    };
  }
  return lazy;
}
