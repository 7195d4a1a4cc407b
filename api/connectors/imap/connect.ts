/**
 * From an Endpoint and a MailboxAccess to the address and login of our own IMAP connection
 * (imap-wire.ts, logged in by wire-login.ts): host, port, security, the outbound policy's guard,
 * and which login (user, admin with an authorization identity, `user*admin`, XOAUTH2).
 */
import type { MailboxAccess } from '../../core/connector.js';
import type { ImapSecurity } from '../../core/model.js';
import { ValidationError } from '../../core/errors.js';
import { OPEN_OUTBOUND, checkHost, lookupOption, type OutboundPolicy } from '../outbound-policy.js';
import type { ImapErrorContext } from './map-error.js';

export const IMAP_PORT = 143;
export const IMAPS_PORT = 993;
export const CONNECT_TIMEOUT_MS = 30_000;
/** Large APPENDs and FETCHes can be slow on busy servers: 5 minutes of an idle socket (imapflow's default, kept). */
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

export function errorContext(address: ImapAddress, login: ImapLogin, action: string): ImapErrorContext {
  return { host: address.host, port: address.port, user: login.user, action };
}
