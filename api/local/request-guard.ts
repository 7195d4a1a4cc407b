/**
 * Who the embedded host answers. It has no sign-in, so whatever makes a browser send it a
 * request acts as the local admin; two attacks follow (issue 10 #1), and this file stops both:
 *
 * - DNS rebinding: a page on attacker.example re-points its own name at 127.0.0.1 and then calls
 *   the API "same-origin". Its requests still say `Host: attacker.example`, so only loopback Host
 *   names are served (and, on the end-user listener, the public host a reverse proxy forwards).
 * - Cross-site requests (CSRF): a page posts a form, or a "simple" fetch, to 127.0.0.1. Browsers
 *   add `Origin` to every POST/PUT/PATCH/DELETE (and `Sec-Fetch-Site`), so a state-changing
 *   request from any origin but the host's own is refused. Requests without either header come
 *   from curl, scripts or the CLI, not from a web page, and pass.
 *
 * Two listeners, two surfaces: the admin port (everything, this machine only) and, when
 * MAILFERRY_END_USER_PORT is set, an end-user port that a reverse proxy may publish: it serves the
 * credential page and its two API routes and nothing else, whatever headers the proxy sends.
 * What can be reached is decided by the socket, not by a header a proxy may rewrite.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AuthError, ForbiddenError, type MailferryError } from '../core/errors.js';
import type { Authenticator } from '../http/auth/authenticator.js';

export type Surface = 'admin' | 'end-user';

export interface GuardPolicy {
  surface: Surface;
  /** MAILFERRY_PUBLIC_URL on the end-user listener: the host and origin the proxy serves it under. */
  publicUrl?: URL;
}

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Methods that change nothing; every other one must come from the host's own pages. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** `Sec-Fetch-Site` values of a request the page made to its own origin, or the user typed. */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);
/** Headers a reverse proxy adds; the local admin's browser never sends them. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

/** Paths the end-user listener serves: the page (one client route of the console's bundle), its assets, its API. */
const END_USER_PAGE = /^\/end-user\/credentials\/?$/;
/** The page's bundle, and Office.js for when Outlook hosts the page as its taskpane (tab/vite.config.ts). */
const END_USER_ASSETS = ['/assets/', '/office-js/'];
const END_USER_API = '/api/v1/end-user/';

/** Why this request is refused, or undefined when it may go on. */
export function refusal(method: string, headers: IncomingHttpHeaders, policy: GuardPolicy): MailferryError | undefined {
  const host = parseHost(headers.host);
  const isLoopback = host !== undefined && LOOPBACK_HOSTNAMES.has(host.hostname);
  const isPublic = host !== undefined && policy.surface === 'end-user' && policy.publicUrl?.host === host.host;
  if (!isLoopback && !isPublic) return wrongHost(headers.host, policy);
  if (policy.surface === 'admin') {
    const forwarded = FORWARDING_HEADERS.find((name) => headers[name] !== undefined);
    if (forwarded) {
      return new ForbiddenError(
        `This request came through a proxy (it carries ${forwarded}), but this is Mailferry's admin port, which serves this machine only. Point the reverse proxy at the end-user port (MAILFERRY_END_USER_PORT): it serves end users their credential page and nothing else.`,
      );
    }
  }
  if (SAFE_METHODS.has(method)) return undefined;
  const ownOrigins = [isLoopback ? host!.origin : undefined, policy.surface === 'end-user' ? policy.publicUrl?.origin : undefined].filter(
    Boolean,
  );
  const origin = headers.origin;
  if (origin !== undefined && !ownOrigins.includes(origin)) {
    return new ForbiddenError(
      `Refused a ${method} sent by the page at ${origin.slice(0, MAX_ECHOED_CHARS)}: Mailferry takes changes only from its own pages (${ownOrigins.join(', ')}). If you use the console through another address, open it at ${ownOrigins[0]} instead.`,
    );
  }
  const site = headers['sec-fetch-site'];
  if (origin === undefined && typeof site === 'string' && !OWN_FETCH_SITES.has(site)) {
    return new ForbiddenError(
      `Refused a ${method} that the browser marks as ${site} (Sec-Fetch-Site): Mailferry takes changes only from its own pages.`,
    );
  }
  return undefined;
}

/** Whether the end-user listener serves this path; the admin listener serves every path. */
export function surfaceServes(policy: GuardPolicy, pathname: string): boolean {
  if (policy.surface === 'admin') return true;
  return END_USER_PAGE.test(pathname) || END_USER_ASSETS.some((prefix) => pathname.startsWith(prefix)) || pathname.startsWith(END_USER_API);
}

/**
 * The end-user listener signs nobody in: its only API routes are public (the link's token is the
 * credential), and should a path ever slip past `surfaceServes`, no admin route would run either.
 */
export const nobodyAuthenticator: Authenticator = {
  async authenticate() {
    throw new AuthError(
      'This address serves end users their credential page only; the admin console and its API are on the admin port of the machine running Mailferry.',
    );
  },
};

const MAX_ECHOED_CHARS = 200;

/** A Host header is a name or an IP literal with an optional port, nothing else (no `a@b`, no path). */
const HOST_HEADER = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

function parseHost(header: string | undefined): URL | undefined {
  if (!header || !HOST_HEADER.test(header)) return undefined;
  try {
    return new URL(`http://${header}`);
  } catch {
    return undefined;
  }
}

function wrongHost(header: string | undefined, policy: GuardPolicy): MailferryError {
  const got = header ? `"${header.slice(0, MAX_ECHOED_CHARS)}"` : 'no Host header';
  const names = ['127.0.0.1', 'localhost', '[::1]', ...(policy.surface === 'end-user' && policy.publicUrl ? [policy.publicUrl.host] : [])];
  const hint =
    policy.surface === 'admin'
      ? ' A web page may be trying to reach it under its own name (DNS rebinding). To let end users reach their credential page through a reverse proxy, point the proxy at the end-user port (MAILFERRY_END_USER_PORT) and set MAILFERRY_PUBLIC_URL.'
      : ' Set MAILFERRY_PUBLIC_URL to the address the reverse proxy serves, e.g. https://migrate.contoso.com.';
  return new ForbiddenError(`Mailferry answers only to ${names.join(', ')} on this port, and this request named ${got}.${hint}`);
}
