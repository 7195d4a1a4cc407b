/**
 * "Save and Go to Summary" for an EWS endpoint: the URL, whether it answers (and its TLS), the
 * login method, the admin (or user) login against a test mailbox, whether impersonation or
 * FullAccess really reaches that mailbox (its Inbox is bound), and the server version. Each
 * failed check says what to fix. Also "Autodiscover items": the mailboxes an admin can reach,
 * from a ResolveNames "SMTP:" sweep.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { EndpointCheck, EndpointProbe, MailboxAccess } from '../../core/connector.js';
import { MailferryError, ensureError } from '../../core/errors.js';
import type { EwsConnector } from './ews-connector.js';
import { ewsUrl } from './endpoint-url.js';
import { IMPERSONATION_FIX, FULL_ACCESS_FIX } from './map-error.js';
import { escapeXml, descendants, text, attr, child } from './xml.js';
import { checkServiceUrl, lookupOption, type OutboundPolicy } from '../outbound-policy.js';
import { probeAppCredentials } from '../../core/app-certificate.js';

const REACH_TIMEOUT_MS = 15_000;

function accessOf(probe: EndpointProbe): MailboxAccess {
  const usesUser = probe.endpoint.adminMode === 'none' || probe.testLogin !== undefined;
  return usesUser
    ? {
        endpoint: probe.endpoint,
        mailbox: probe.testMailbox ?? probe.testLogin ?? '',
        login: probe.testLogin,
        password: probe.testPassword,
      }
    : {
        endpoint: probe.endpoint,
        mailbox: probe.testMailbox ?? '',
        adminPassword: probe.adminPassword,
        modernAuth: probeAppCredentials(probe),
      };
}

export async function probeEwsEndpoint(connector: EwsConnector, probe: EndpointProbe): Promise<EndpointCheck[]> {
  const { endpoint } = probe;
  const checks: EndpointCheck[] = [];
  let url: URL;
  try {
    url = ewsUrl(endpoint);
    checkServiceUrl(url, connector.outbound, 'The EWS URL');
    checks.push({ check: 'EWS URL', status: 'ok', detail: url.href });
  } catch (error) {
    checks.push({ check: 'EWS URL', status: 'failed', detail: ensureError(error).message });
    return checks;
  }
  const reach = await reachable(url, endpoint.allowSelfSigned ?? false, connector.outbound);
  checks.push(reach);
  if (reach.status === 'failed') return checks;

  const access = accessOf(probe);
  const usesUser = access.login !== undefined || endpoint.adminMode === 'none';
  let method: string;
  try {
    const resolved = connector.resolveAccess(access);
    method =
      resolved.credentials.kind === 'oauth'
        ? `Modern Auth (app ${access.modernAuth?.clientId}, client credentials)`
        : `Basic (${resolved.credentials.who})`;
    checks.push({
      check: 'Login method',
      status: resolved.credentials.kind === 'basic' && endpoint.kind !== 'exchange' ? 'warning' : 'ok',
      detail:
        resolved.credentials.kind === 'basic' && endpoint.kind !== 'exchange'
          ? `${method}: Exchange Online has turned Basic authentication off for EWS; register an app and use Modern Auth.`
          : method,
    });
  } catch (error) {
    checks.push({ check: 'Login method', status: 'failed', detail: ensureError(error).message });
    return checks;
  }
  const label = usesUser ? 'User login' : `Admin login${endpoint.adminLogin ? ` (${endpoint.adminLogin})` : ''}`;
  if (!access.mailbox) {
    checks.push({
      check: label,
      status: 'skipped',
      detail: usesUser
        ? 'Give a test login and password to check a user login.'
        : 'Give a test mailbox address to check the admin login against: an admin reaches mailboxes, not a mailbox of its own.',
    });
    return checks;
  }
  const accessCheck = usesUser
    ? 'Mailbox access'
    : endpoint.adminMode === 'impersonation' || access.modernAuth
      ? 'Impersonation'
      : 'FullAccess (delegation)';
  try {
    const session = await connector.open(access);
    try {
      checks.push({ check: label, status: 'ok', detail: `Signed in and opened ${access.mailbox}.` });
      const inbox = session.ctx.transport;
      checks.push({ check: accessCheck, status: 'ok', detail: `Bound the Inbox of ${access.mailbox}.` });
      const v = inbox.serverVersion;
      const speaks = inbox.envelope.version;
      const old = !session.accepts.includes('ews-export');
      checks.push({
        check: 'Server version',
        status: old ? 'warning' : 'ok',
        detail:
          `${v ? `Exchange ${v.major}.${v.minor} (build ${v.build})` : 'unknown'}; requests use ${speaks}.` +
          (old
            ? ' Before Exchange 2010 SP1 there is no ExportItems/UploadItems: mail is copied as MIME and other item types cannot be copied.'
            : ''),
      });
    } finally {
      await session.close();
    }
  } catch (raw) {
    const error = ensureError(raw);
    if (error.code === 'forbidden') {
      checks.push({ check: label, status: 'ok', detail: 'Signed in.' });
      checks.push({
        check: accessCheck,
        status: 'failed',
        detail: `${error.message}${error.message.includes('Grant') || error.message.includes('Give') ? '' : ` ${endpoint.adminMode === 'impersonation' ? IMPERSONATION_FIX : FULL_ACCESS_FIX}`}`,
      });
    } else {
      checks.push({ check: label, status: 'failed', detail: error.message });
    }
  }
  return checks;
}

/** Any HTTP answer (a 401 included) proves the URL is served; TLS and network failures say what to fix. */
function reachable(url: URL, allowSelfSigned: boolean, outbound: OutboundPolicy): Promise<EndpointCheck> {
  return new Promise((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'GET',
        timeout: REACH_TIMEOUT_MS,
        ...lookupOption(outbound),
        ...(url.protocol === 'https:' ? { rejectUnauthorized: !allowSelfSigned } : {}),
      },
      (res) => {
        res.resume();
        const ok = res.statusCode !== undefined && res.statusCode !== 404;
        resolve(
          ok
            ? {
                check: 'Connection',
                status: url.protocol === 'https:' ? 'ok' : 'warning',
                detail: `${url.host} answered (HTTP ${res.statusCode}${url.protocol === 'https:' ? ', TLS' : ', not encrypted: use this only on a trusted network'}).`,
              }
            : {
                check: 'Connection',
                status: 'failed',
                detail: `${url.href} answered 404: this is not the EWS URL. Use https://<server>/EWS/Exchange.asmx.`,
              },
        );
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${REACH_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const cert = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
      resolve({
        check: 'Connection',
        status: 'failed',
        detail: cert
          ? `${url.host}: the TLS certificate is not trusted (${code}). Install a trusted certificate, or allow self-signed certificates for this endpoint.`
          : `${url.host}: ${err.message}. Check the server name, the port and the firewall.`,
      });
    });
    req.end();
  });
}

/** Mailboxes the admin can reach: ResolveNames "SMTP:<prefix>" (100 per answer), narrowed until each answer is complete. */
export async function discoverMailboxes(connector: EwsConnector, probe: EndpointProbe): Promise<string[]> {
  const access = accessOf(probe);
  const resolved = connector.resolveAccess({ ...access, mailbox: access.mailbox || probe.endpoint.adminLogin || '' });
  // ResolveNames reads the directory, not a mailbox: no impersonation unless an app-only token needs it.
  const addressing = resolved.credentials.kind === 'oauth' ? 'impersonation' : 'self';
  if (addressing === 'impersonation' && !access.mailbox) {
    throw new MailferryError(
      'validation',
      'Give a test mailbox: an app (Modern Auth) reaches the directory through a mailbox it may impersonate.',
      { field: 'testMailbox' },
    );
  }
  const ctx = connector.context(access, { ...resolved, addressing });
  const found = new Set<string>();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789._-'.split('');
  try {
    const sweep = async (prefix: string, depth: number): Promise<void> => {
      const response = await ctx.transport.call(
        `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>SMTP:${escapeXml(prefix)}</m:UnresolvedEntry></m:ResolveNames>`,
      );
      const m = response.messages[0];
      if (!m || m.code === 'ErrorNameResolutionNoResults') return;
      if (m.responseClass === 'Error' && m.code !== 'ErrorNameResolutionMultipleResults') {
        throw new MailferryError('internal', `ResolveNames failed: ${m.code}: ${m.text}`);
      }
      const set = child(m.element, 'ResolutionSet');
      for (const mailbox of descendants(set, 'Mailbox')) {
        const type = text(child(mailbox, 'MailboxType'));
        const address = text(child(mailbox, 'EmailAddress'));
        if (address && (type === undefined || type === 'Mailbox' || type === 'GroupMailbox' || type === 'OneOff'))
          found.add(address.toLowerCase());
      }
      if (attr(set, 'IncludesLastItemInRange') === 'false' && depth < 6) {
        for (const c of alphabet) await sweep(prefix + c, depth + 1);
      }
    };
    await sweep('', 0);
  } finally {
    ctx.transport.close();
  }
  return [...found].sort();
}
