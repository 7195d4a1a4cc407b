export { GraphConnector, type GraphConnectorOptions, GRAPH_RESOURCE, graphBaseUrl } from './graph-connector.js';
export { GraphSession } from './graph-session.js';
export { GRAPH_PERMISSIONS, ALL_GRAPH_PERMISSIONS, grantAdvice } from './permissions.js';
export { GRAPH_MAX_IN_FLIGHT } from './transport.js';
