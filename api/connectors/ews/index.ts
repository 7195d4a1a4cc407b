export { EwsConnector, type EwsConnectorOptions, DEFAULT_REQUESTS_IN_FLIGHT } from './ews-connector.js';
export { EwsSession } from './ews-session.js';
export type { EwsModernAuthOptions } from './credentials.js';
export { M365_CLOUD_INFO, ewsUrl, tokenResource } from './endpoint-url.js';
export { MAILFERRY_PROPERTY_SET, MARKER_NAME } from './item-props.js';
export { GROUPS_FOLDER_FILTER } from './ensure-folder.js';
