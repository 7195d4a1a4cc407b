import { connectorConformance } from '../conformance/connector-conformance.js';
import { InMemoryMailbox } from '../support/in-memory-mailbox.js';

const mailbox = new InMemoryMailbox();

connectorConformance('in-memory session', () => ({
  open: async () => mailbox.open(),
  bytesExact: true,
  parent: [],
  seedUnmarked: async (path, bytes, internalDate) => void mailbox.add(path, bytes, { internalDate }),
}));
