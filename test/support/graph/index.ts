/**
 * The Graph test server (see graph-server.ts and docs/testing.md's "The Graph test server" section):
 * start it with startGraphServer, point a Graph client's base URL at `graphUrl` instead of
 * https://graph.microsoft.com and msal-node at `tokenEndpoint.authority` (knownAuthorities:
 * [tokenEndpoint.host], trusting tokenEndpoint.caPem), and close() it at the end of the test.
 */
export {
  DEFAULT_DELEGATED,
  GRAPH_RESOURCE,
  startGraphServer,
  type GraphApp,
  type GraphServerOptions,
  type GraphTestServer,
} from './graph-server.js';
export { ALL_APP_PERMISSIONS, PERMISSION } from './permissions.js';
export { EXCHANGE_ONLINE_LIMITS, type GraphLimits } from './limits.js';
export { MAX_EXPORT_IDS } from './routes-transfer.js';
export { MAX_BATCH } from './batch.js';
export { encodeBlob, decodeBlob, type ItemContent } from './item-blob.js';
export type { StoredGraphItem, SeedMessageOptions, SeedItemOptions } from './seed.js';
export type { LoggedRequest } from './routing.js';
export { trustingNetworkClient } from '../entra.js';
