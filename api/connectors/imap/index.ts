export { ImapConnector, type ImapConnectorOptions } from './imap-connector.js';
export { ImapSession } from './imap-session.js';
export { parseSuggestedBackoffMs, MAX_THROTTLE_WAIT_MS } from './throttle.js';
