/**
 * From an Endpoint and a MailboxAccess to an authenticated imapflow client. The same login
 * rules feed our own writer (append-pipeline.ts), so both connections log in the same way.
 */
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { MailboxAccess } from '../../core/connector.js';
import type { ImapSecurity } from '../../core/model.js';
import { ValidationError } from '../../core/errors.js';
import { OPEN_OUTBOUND, checkHost, lookupOption, type OutboundPolicy } from '../outbound-policy.js';
import { authFailure, toImapError, type ImapErrorContext } from './map-error.js';

export const IMAP_PORT = 143;
export const IMAPS_PORT = 993;
export const CONNECT_TIMEOUT_MS = 30_000;
export const GREETING_TIMEOUT_MS = 16_000;
/** Large APPENDs and FETCHes can be slow on busy servers; imapflow's 5-minute default is kept. */
export const SOCKET_TIMEOUT_MS = 5 * 60 * 1000;
/**
 * How long our own connection (imap-wire.ts) lets a server send nothing while it owes an answer
 * and we have nothing left to send: then the command fails and the connection is closed
 * (support option ImapStallSeconds). A deadline on progress, not on the command: a 30 MB FETCH or
 * APPEND that keeps bytes moving never hits it. 2 minutes is what imapsync waits by default
 * (Thunderbird 100 s): Exchange renders a large message to MIME before its first byte and stores
 * an APPENDed one after its last, tens of seconds on a busy server, never minutes of silence.
 */
export const STALL_TIMEOUT_MS = 120_000;

export interface ImapAddress {
  host: string;
  port: number;
  security: ImapSecurity;
  /** Only when the admin said so for this endpoint: accept a self-signed certificate. */
  allowSelfSigned: boolean;
  /** Which destinations this host may connect to (outbound-policy.ts). */
  outbound: OutboundPolicy;
  /** Our own connection's progress deadline (STALL_TIMEOUT_MS unless the support option ImapStallSeconds sets it). */
  stallMs?: number;
}

/** Who we authenticate as, after applying the endpoint's admin mode. */
export interface ImapLogin {
  /** SASL authentication identity or LOGIN name. */
  user: string;
  password?: string;
  accessToken?: string;
  /** SASL PLAIN authorization identity: the mailbox an admin acts for (RFC 4616 §2). */
  authzid?: string;
}

export function imapAddress(access: MailboxAccess, outbound: OutboundPolicy = OPEN_OUTBOUND): ImapAddress {
  const { endpoint } = access;
  const security = endpoint.security ?? 'tls';
  return {
    host: endpoint.host,
    port: endpoint.port ?? (security === 'tls' ? IMAPS_PORT : IMAP_PORT),
    security,
    allowSelfSigned: endpoint.allowSelfSigned === true,
    outbound,
    stallMs: access.tuning?.stallSeconds ? access.tuning.stallSeconds * 1000 : STALL_TIMEOUT_MS,
  };
}

/**
 * Socket options every IMAP connection uses: the destination checked (an IP literal now, a name
 * by the lookup hook as the socket connects). Throws a ValidationError for a refused literal.
 */
export function socketOptions(address: ImapAddress): { lookup?: ReturnType<typeof lookupOption>['lookup'] } {
  checkHost(address.host, address.outbound);
  return lookupOption(address.outbound);
}

export function imapLogin(access: MailboxAccess): ImapLogin {
  const { endpoint, mailbox } = access;
  const xoauth2 = endpoint.authMechanism === 'xoauth2';
  const secretOf = (secret: string | undefined, user: string): ImapLogin => {
    if (!secret) {
      throw new ValidationError(`No ${xoauth2 ? 'access token' : 'password'} is set for IMAP login "${user}".`, {
        field: access.login || endpoint.adminMode === 'none' ? 'password' : 'adminPassword',
      });
    }
    return xoauth2 ? { user, accessToken: secret } : { user, password: secret };
  };
  const adminLogin = endpoint.adminMode === 'none' ? undefined : endpoint.adminLogin;
  // A per-item login with its password wins: the end user (or admin) gave this mailbox's own credentials.
  if (access.login && (access.password || !adminLogin)) return secretOf(access.password, access.login);
  if (!adminLogin) return secretOf(access.password, mailbox);
  // A login without a password names the mailbox for the admin: IMAP users are often `src1`, not an address.
  const user = access.login ?? mailbox;
  if (xoauth2) {
    // An app token authorizes the app for the mailbox; the SASL user is the mailbox itself.
    return secretOf(access.adminPassword, user);
  }
  if (endpoint.adminMode === 'login-star') {
    // Dovecot master users: `user*master` with the master's password (auth_master_user_separator).
    return secretOf(access.adminPassword, `${user}*${adminLogin}`);
  }
  return { ...secretOf(access.adminPassword, adminLogin), authzid: user };
}

export function imapFlowOptions(address: ImapAddress, login: ImapLogin): ImapFlowOptions {
  return {
    host: address.host,
    port: address.port,
    secure: address.security === 'tls',
    // imapflow upgrades opportunistically by default; make our choice explicit both ways.
    doSTARTTLS: address.security === 'starttls' ? true : address.security === 'none' ? false : undefined,
    // imapflow passes `tls` to net.connect/tls.connect too, so the lookup hook guards both.
    tls: {
      rejectUnauthorized: !address.allowSelfSigned,
      servername: isIp(address.host) ? undefined : address.host,
      ...socketOptions(address),
    },
    auth: {
      user: login.user,
      pass: login.password,
      accessToken: login.accessToken,
      authzid: login.authzid,
      // SASL PLAIN is the only way to carry an authzid; imapflow would fall back to LOGIN otherwise.
      loginMethod: login.authzid ? 'AUTH=PLAIN' : undefined,
    },
    logger: false,
    disableAutoIdle: true,
    // We copy exact bytes; COMPRESS would only cost CPU on the loopback/LAN paths we mostly see.
    disableCompression: true,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    clientInfo: { name: 'Mailferry' },
  };
}

export function errorContext(address: ImapAddress, login: ImapLogin, action: string): ImapErrorContext {
  return { host: address.host, port: address.port, user: login.user, action };
}

/** Connects and logs in; on any failure the socket is closed (imapflow leaves it open after a failed login). */
export async function openImapClient(address: ImapAddress, login: ImapLogin, signal?: AbortSignal): Promise<ImapFlow> {
  // Loaded with the first client: imapflow's ~100 modules are most of an IMAP session's start.
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow(imapFlowOptions(address, login));
  // imapflow emits 'error' on socket failures; without a listener Node would crash the process.
  client.on('error', () => undefined);
  const onAbort = (): void => client.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    await client.connect();
    return client;
  } catch (err) {
    client.close();
    const e = err as { authenticationFailed?: boolean; responseText?: string; response?: unknown };
    if (e.authenticationFailed) {
      throw authFailure(errorContext(address, login, 'login'), e.responseText ?? stringOr(e.response), err);
    }
    throw toImapError(err, errorContext(address, login, 'connecting'));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
