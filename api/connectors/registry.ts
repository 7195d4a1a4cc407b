import type { MailConnector } from '../core/connector.js';
import { MailferryError } from '../core/errors.js';
import type { EndpointKind } from '../core/model.js';
import { EwsConnector } from './ews/ews-connector.js';
import { ImapConnector } from './imap/imap-connector.js';

/** Connectors this build can talk to, by endpoint kind. Chosen once by the composition root. */
export function createConnectorRegistry(overrides: Partial<Record<EndpointKind, MailConnector>> = {}): (kind: EndpointKind) => MailConnector {
  const ews = new EwsConnector();
  const connectors: Partial<Record<EndpointKind, MailConnector>> = { imap: new ImapConnector(), exchange: ews, m365: ews, 'm365-group': ews, ...overrides };
  return (kind) => connectors[kind] ?? notYetAvailable(kind);
}

function notYetAvailable(kind: EndpointKind): MailConnector {
  return {
    open: async () => {
      throw new MailferryError('unsupported', `Endpoints of kind "${kind}" (Exchange Web Services) are not available in this build yet; use an IMAP endpoint.`);
    },
  };
}
