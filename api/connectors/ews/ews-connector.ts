/**
 * The EWS MailConnector for `exchange` (Exchange 2007+ on premises or hosted), `m365` (Exchange
 * Online, national clouds) and `m365-group` (Microsoft 365 Groups mailboxes): resolves the URL,
 * the credentials (Basic or a Modern Auth app token) and how the target mailbox is addressed
 * (delegation / impersonation / the user's own login), then opens an EwsSession. The server's
 * version comes from ServerVersionInfo on the first answer; we never ask for more than Exchange2016.
 */
import type { EndpointCheck, EndpointProbe, MailboxAccess, MailConnector } from '../../core/connector.js';
import { ValidationError } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import { MAX_EWS_REQUESTS_IN_FLIGHT } from '../../core/support-options.js';
import { type Addressing, DEFAULT_LIMITS, type EwsContext, type EwsLimits, PROBING_VERSION, requestVersionFor } from './context.js';
import { TokenCache, basicCredentials, type EwsCredentials, type EwsModernAuthOptions } from './credentials.js';
import { ewsUrl } from './endpoint-url.js';
import { EwsSession } from './ews-session.js';
import { wellKnownFolders } from './folders.js';
import { discoverMailboxes, probeEwsEndpoint } from './probe-endpoint.js';
import { EwsTransport } from './transport.js';
import { OPEN_OUTBOUND, type OutboundPolicy } from '../outbound-policy.js';
import { DEFAULT_REQUEST_RETRY_POLICY } from '../request-pacing.js';

export interface EwsConnectorOptions {
  /** Where Modern Auth tokens come from (tests: the local token endpoint; see credentials.ts). */
  modernAuth?: EwsModernAuthOptions;
  /** Requests in flight per mailbox (default 10; Exchange's EWSMaxConcurrency is 27 per account). */
  requestsInFlight?: number;
  /** Server-suggested waits up to this long are slept inside the job (default MAX_INLINE_WAIT_MS, 30 s); longer ones reschedule it. */
  maxInlineWaitMs?: number;
  /** Per HTTP request (default 5 minutes: a 150 MB item on a slow link). */
  requestTimeoutMs?: number;
  limits?: Partial<EwsLimits>;
  /** Which destinations this host may connect to; every destination by default (the embedded host). */
  outbound?: OutboundPolicy;
  /** Drives every wait of the transport (tests: a TestClock); the system clock by default. */
  clock?: Clock;
}

export const DEFAULT_REQUESTS_IN_FLIGHT = 10;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

const EWS_KINDS = new Set(['exchange', 'm365', 'm365-group']);

export interface ResolvedAccess {
  credentials: EwsCredentials;
  addressing: Addressing;
}

export class EwsConnector implements MailConnector {
  private readonly tokens: TokenCache;

  constructor(private readonly options: EwsConnectorOptions = {}) {
    this.tokens = new TokenCache(options.modernAuth);
  }

  get outbound(): OutboundPolicy {
    return this.options.outbound ?? OPEN_OUTBOUND;
  }

  /** Who we authenticate as and how the mailbox is addressed; throws ValidationError with the fix. */
  resolveAccess(access: MailboxAccess): ResolvedAccess {
    const { endpoint } = access;
    if (!EWS_KINDS.has(endpoint.kind)) {
      throw new ValidationError(`Endpoint "${endpoint.name}" is ${endpoint.kind}, not an Exchange (EWS) endpoint.`, { field: 'kind' });
    }
    const group = endpoint.kind === 'm365-group';
    if (group && endpoint.adminMode === 'impersonation') {
      throw new ValidationError(
        `Endpoint "${endpoint.name}": Microsoft 365 Groups mailboxes cannot be impersonated. Set the endpoint's admin mode to delegation ` +
          '(give the admin FullAccess on the group mailbox, e.g. Add-MailboxPermission -Identity <group> -User <admin> -AccessRights FullAccess).',
        { field: 'adminMode' },
      );
    }
    const perUser = endpoint.adminMode === 'none' || access.login !== undefined;
    if (perUser) {
      const login = access.login ?? access.mailbox;
      if (access.password === undefined) {
        throw new ValidationError(`Endpoint "${endpoint.name}" has no admin login: give ${access.mailbox} its own login and password.`, {
          field: 'password',
        });
      }
      return { credentials: basicCredentials(login, access.password), addressing: 'self' };
    }
    const useApp = access.modernAuth !== undefined && (endpoint.authMechanism === 'oauth-app' || !endpoint.adminLogin);
    if (useApp) {
      // App-only tokens act only through the ExchangeImpersonation header, and Exchange Online's
      // impersonation scope does not cover Groups mailboxes.
      if (group) {
        throw new ValidationError(
          `Endpoint "${endpoint.name}": an app-only Modern Auth token cannot open a Microsoft 365 Groups mailbox over EWS (it would need impersonation). ` +
            'Give the endpoint an admin login that owns the group or holds FullAccess on it, with admin mode delegation.',
          { field: 'authMechanism' },
        );
      }
      return { credentials: this.tokens.credentials(access), addressing: 'impersonation' };
    }
    if (!endpoint.adminLogin || access.adminPassword === undefined) {
      throw new ValidationError(
        `Endpoint "${endpoint.name}" needs an admin login and password (or a Modern Auth app: client id, tenant id and secret) to reach ${access.mailbox}.`,
        { field: 'adminLogin' },
      );
    }
    return {
      credentials: basicCredentials(endpoint.adminLogin, access.adminPassword),
      addressing: endpoint.adminMode === 'impersonation' ? 'impersonation' : 'delegation',
    };
  }

  /** A context with its transport, not yet used. */
  context(access: MailboxAccess, resolved: ResolvedAccess, signal?: AbortSignal): EwsContext {
    const wanted = access.tuning?.requestsInFlight ?? this.options.requestsInFlight ?? DEFAULT_REQUESTS_IN_FLIGHT;
    const inFlight = Math.min(MAX_EWS_REQUESTS_IN_FLIGHT, Math.max(1, wanted));
    const transport = new EwsTransport(
      {
        url: ewsUrl(access.endpoint),
        credentials: resolved.credentials,
        allowSelfSigned: access.endpoint.allowSelfSigned,
        anchorMailbox: access.mailbox,
        inFlight,
        retry: {
          ...DEFAULT_REQUEST_RETRY_POLICY,
          maxInlineWaitMs: this.options.maxInlineWaitMs ?? DEFAULT_REQUEST_RETRY_POLICY.maxInlineWaitMs,
        },
        timeoutMs: this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal,
        clock: this.options.clock,
        outbound: this.outbound,
        groups: access.endpoint.kind === 'm365-group',
        endpoint: { name: access.endpoint.name, id: access.endpoint.id },
      },
      { version: PROBING_VERSION, ...(resolved.addressing === 'impersonation' ? { impersonate: access.mailbox } : {}) },
    );
    return {
      transport,
      kind: access.endpoint.kind,
      mailbox: access.mailbox,
      addressing: resolved.addressing,
      limits: { ...DEFAULT_LIMITS, ...this.options.limits },
    };
  }

  async open(access: MailboxAccess, signal?: AbortSignal): Promise<EwsSession> {
    const ctx = this.context(access, this.resolveAccess(access), signal);
    try {
      // Binding the well-known folders proves the login and the access right, and tells us the version.
      const known = await wellKnownFolders(ctx);
      ctx.transport.envelope.version = requestVersionFor(ctx.transport.serverVersion);
      return new EwsSession(ctx, known, { recipientMappings: access.recipientMappings ?? [] });
    } catch (err) {
      ctx.transport.close();
      throw err;
    }
  }

  probe(probe: EndpointProbe): Promise<EndpointCheck[]> {
    return probeEwsEndpoint(this, probe);
  }

  discoverMailboxes(probe: EndpointProbe): Promise<string[]> {
    return discoverMailboxes(this, probe);
  }
}
