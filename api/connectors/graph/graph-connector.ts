/**
 * The Microsoft Graph MailConnector for `m365` endpoints whose protocol is `graph`: app-only
 * sign-in (msal-node client credentials, the token cached until shortly before it expires), the
 * mailbox id looked up through `users/{upn}/settings/exchange`, then a GraphSession over the
 * mailbox import/export API.
 */
import type { DeviceCodeSignIn, EndpointCheck, EndpointProbe, MailboxAccess, MailConnector } from '../../core/connector.js';
import { ValidationError } from '../../core/errors.js';
import type { Endpoint } from '../../core/model.js';
import type { Clock } from '../../core/ports.js';
import { DelegatedTokens, startDeviceCodeSignIn } from './delegated-auth.js';
import { GroupThreadsSession, lookUpGroupId } from './group-threads.js';
import { probeGroupEndpoint } from './probe-group.js';
import { TokenCache, type EwsModernAuthOptions } from '../ews/credentials.js';
import { DEFAULT_GRAPH_LIMITS, type GraphContext, type GraphLimits } from './context.js';
import { GraphSession } from './graph-session.js';
import { lookUpMailboxId } from './mailbox-id.js';
import { ALL_GRAPH_PERMISSIONS } from './permissions.js';
import { probeGraphEndpoint } from './probe-endpoint.js';
import { GRAPH_MAX_IN_FLIGHT, GraphTransport, type GraphTransportOptions } from './transport.js';
import { OPEN_OUTBOUND, checkServiceUrl, type OutboundPolicy } from '../outbound-policy.js';
import { DEFAULT_REQUEST_RETRY_POLICY } from '../request-pacing.js';

/** Microsoft Graph's own hosts (global and national clouds). */
const MICROSOFT_GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);

/**
 * On a shared deployment Graph is Microsoft's: besides the sockets' lookup hook (which refuses
 * private addresses), the host must be one of Microsoft's own, so a tenant admin cannot point
 * the app's token at a server of their choosing.
 */
function checkGraphUrl(url: URL, outbound: OutboundPolicy): void {
  checkServiceUrl(url, outbound, 'The Microsoft Graph URL');
  if (!outbound.allowNonPublic && !MICROSOFT_GRAPH_HOSTS.has(url.hostname.toLowerCase())) {
    throw new ValidationError(
      `The Microsoft Graph URL ${url.origin} is not Microsoft Graph; leave the endpoint's host empty to use ${GRAPH_RESOURCE}.`,
      { field: 'host' },
    );
  }
}

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

export interface GraphConnectorOptions {
  /** Where tokens come from (tests: the Graph test server's token endpoint); the resource is always Graph's. */
  modernAuth?: Omit<EwsModernAuthOptions, 'resource' | 'permissionHint'>;
  /** Requests in flight per mailbox (at most 4, Exchange Online's limit per app and mailbox). */
  requestsInFlight?: number;
  /** Server-suggested waits up to this long are slept inside the job (default MAX_INLINE_WAIT_MS, 30 s); longer ones reschedule it. */
  maxInlineWaitMs?: number;
  /** Per HTTP request (default 5 minutes). */
  requestTimeoutMs?: number;
  limits?: Partial<GraphLimits>;
  /** Drives every wait of the transport (tests: a TestClock); the system clock by default. */
  clock?: Clock;
  now?: () => number;
  /** Which destinations this host may connect to; every destination by default (the embedded host). */
  outbound?: OutboundPolicy;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** Graph's root for an endpoint: empty (or an EWS URL kept from before the switch) means Microsoft's. */
export function graphBaseUrl(endpoint: Pick<Endpoint, 'host' | 'name'>): URL {
  const host = (endpoint.host ?? '').trim();
  if (host === '' || /\.asmx$|\/ews\b/i.test(host) || /outlook\.office365\.com/i.test(host)) return new URL(GRAPH_RESOURCE);
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`);
  } catch {
    throw new ValidationError(`Endpoint "${endpoint.name}": "${host}" is not a URL; leave the host empty for Microsoft Graph.`, {
      field: 'host',
    });
  }
}

export class GraphConnector implements MailConnector {
  private readonly tokens: TokenCache;
  private readonly delegated: DelegatedTokens;

  constructor(private readonly options: GraphConnectorOptions = {}) {
    this.delegated = new DelegatedTokens(options.modernAuth);
    this.tokens = new TokenCache({
      ...options.modernAuth,
      resource: GRAPH_RESOURCE,
      permissionHint: `the Microsoft Graph application permissions ${ALL_GRAPH_PERMISSIONS.join(', ')} with admin consent`,
    });
  }

  /** A transport for `access` whose mailbox id is not looked up yet (the probe's steps need the parts). */
  transportFor(access: MailboxAccess, signal?: AbortSignal): GraphTransport {
    const { endpoint, modernAuth } = access;
    if (endpoint.kind === 'm365-group') return this.groupTransport(access, signal);
    if (!modernAuth) {
      throw new ValidationError(
        `Endpoint "${endpoint.name}" speaks Microsoft Graph, which signs in as an app registration: give it the application (client) id, the directory (tenant) id and a client secret or certificate, ` +
          'or set ModernAuthClientId/TenantId/ClientSecret (Export for a source, Import for a destination).',
        { field: 'appClientId' },
      );
    }
    const credentials = this.tokens.credentials({ ...access, endpoint: { ...endpoint, cloud: 'commercial' } });
    const inFlight = Math.min(GRAPH_MAX_IN_FLIGHT, access.tuning?.requestsInFlight ?? this.options.requestsInFlight ?? GRAPH_MAX_IN_FLIGHT);
    return this.transport(endpoint, { credentials, clientId: modernAuth.clientId, inFlight }, signal);
  }

  private transport(
    endpoint: Endpoint,
    auth: Pick<GraphTransportOptions, 'credentials' | 'clientId' | 'inFlight'>,
    signal?: AbortSignal,
  ): GraphTransport {
    const baseUrl = graphBaseUrl(endpoint);
    const outbound = this.options.outbound ?? OPEN_OUTBOUND;
    checkGraphUrl(baseUrl, outbound);
    return new GraphTransport({
      baseUrl,
      outbound,
      ...auth,
      retry: {
        ...DEFAULT_REQUEST_RETRY_POLICY,
        maxInlineWaitMs: this.options.maxInlineWaitMs ?? DEFAULT_REQUEST_RETRY_POLICY.maxInlineWaitMs,
      },
      timeoutMs: this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal,
      clock: this.options.clock,
    });
  }

  context(access: MailboxAccess, transport: GraphTransport, mailboxId: string): GraphContext {
    return {
      transport,
      mailbox: access.mailbox,
      mailboxId,
      limits: { ...DEFAULT_GRAPH_LIMITS, ...this.options.limits },
      now: () => this.now(),
    };
  }

  /** The connector's clock (tests move it: import session expiry, certificate validity). */
  now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Groups post with the administrator's delegated sign-in, one request at a time (docs/endpoints.md: no double posts). */
  private groupTransport(access: MailboxAccess, signal?: AbortSignal): GraphTransport {
    const credentials = this.delegated.credentials(access.endpoint, access.delegatedSignIn);
    return this.transport(access.endpoint, { credentials, clientId: access.endpoint.appClientId ?? '', inFlight: 1 }, signal);
  }

  async openGroup(access: MailboxAccess, signal?: AbortSignal): Promise<GroupThreadsSession> {
    const transport = this.groupTransport(access, signal);
    const groupId = await lookUpGroupId(transport, access.endpoint, access.mailbox);
    return new GroupThreadsSession({
      transport,
      endpoint: access.endpoint,
      group: access.mailbox,
      groupId,
      limits: { ...DEFAULT_GRAPH_LIMITS, ...this.options.limits },
    });
  }

  async open(access: MailboxAccess, signal?: AbortSignal): Promise<GraphSession | GroupThreadsSession> {
    if (access.endpoint.kind === 'm365-group') return this.openGroup(access, signal);
    const transport = this.transportFor(access, signal);
    const mailboxId = await lookUpMailboxId(transport, access.mailbox);
    return new GraphSession(this.context(access, transport, mailboxId), {
      offerEwsExport: access.ewsStreamToGraph !== 'never',
      recipientMappings: access.recipientMappings ?? [],
    });
  }

  probe(probe: EndpointProbe): Promise<EndpointCheck[]> {
    return probe.endpoint.kind === 'm365-group' ? probeGroupEndpoint(this, probe) : probeGraphEndpoint(this, probe);
  }

  /** The administrator's one-time device-code sign-in for a Groups endpoint (Entra ID's host from the connector's options). */
  startSignIn(endpoint: Endpoint): Promise<DeviceCodeSignIn> {
    return startDeviceCodeSignIn(endpoint, this.options.modernAuth ?? {});
  }
}
