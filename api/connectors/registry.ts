import type { EndpointCheck, EndpointProbe, MailboxAccess, MailboxSession, MailConnector } from '../core/connector.js';
import type { EndpointKind } from '../core/model.js';

/**
 * Connectors this build can talk to, by endpoint kind. Chosen once by the composition root.
 * Each protocol's code (imapflow alone adds ~30 MB to a process) is loaded the first time an
 * endpoint of that kind is used, so a worker that only moves Exchange mailboxes never loads IMAP.
 */
export function createConnectorRegistry(overrides: Partial<Record<EndpointKind, MailConnector>> = {}): (kind: EndpointKind) => MailConnector {
  const imap = lazyConnector(async () => new (await import('./imap/imap-connector.js')).ImapConnector(), { discovers: false });
  const ews = lazyConnector(async () => new (await import('./ews/ews-connector.js')).EwsConnector(), { discovers: true });
  const connectors: Record<EndpointKind, MailConnector> = { imap, exchange: ews, m365: ews, 'm365-group': ews, ...overrides };
  return (kind) => connectors[kind];
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
