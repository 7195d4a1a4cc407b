/** The MailboxSession contract against the IMAP connector on a real Dovecot. */
import { afterAll, beforeAll } from 'vitest';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import { connectorConformance } from '../../conformance/connector-conformance.js';
import { startDovecot, type DovecotServer } from '../../support/dovecot.js';
import { userAccess } from '../../support/imap-fixtures.js';

let server: DovecotServer;
beforeAll(async () => {
  server = await startDovecot();
});
afterAll(async () => {
  await server?.stop();
});

connectorConformance('IMAP (Dovecot)', () => ({
  open: () => new ImapConnector().open(userAccess(server, 'alice')),
  bytesExact: true,
  parent: [],
}));
