/**
 * "Save and Go to Summary" for an IMAP endpoint: can we reach it, is the link encrypted, does
 * it offer what the chosen login needs, and does the admin (or test user) login work.
 */
import type { EndpointCheck, EndpointProbe } from '../../core/connector.js';
import { ensureError } from '../../core/errors.js';
import type { OutboundPolicy } from '../outbound-policy.js';
import { imapAddress, imapLogin } from './connect.js';
import { ImapWire } from './imap-wire.js';
import { openLoggedInWire } from './wire-login.js';

export async function probeImapEndpoint(probe: EndpointProbe, outbound?: OutboundPolicy): Promise<EndpointCheck[]> {
  const { endpoint } = probe;
  const address = imapAddress({ endpoint, mailbox: probe.testMailbox ?? '' }, outbound);
  const where = `${address.host}:${address.port}`;
  const checks: EndpointCheck[] = [];
  let capabilities: Set<string>;
  try {
    const wire = await ImapWire.open(address);
    try {
      if (wire.capabilities.size === 0) await wire.run('CAPABILITY');
      capabilities = new Set(wire.capabilities);
    } finally {
      wire.close();
    }
    checks.push({ check: 'Connection', status: 'ok', detail: `Reached ${where} (${address.security === 'tls' ? 'TLS' : 'plain'}).` });
  } catch (error) {
    const failure = ensureError(error, { host: address.host, port: address.port, protocol: 'IMAP' });
    // A translated failure already says what to check; only raw text gets the general advice.
    checks.push({
      check: 'Connection',
      status: 'failed',
      detail: failure.details ? failure.message : `${where}: ${failure.message} Check the host name, the port and the firewall.`,
    });
    return checks;
  }

  if (address.security === 'none') {
    checks.push({
      check: 'Encryption',
      status: capabilities.has('STARTTLS') ? 'warning' : 'warning',
      detail: capabilities.has('STARTTLS')
        ? 'Passwords would travel unencrypted, but the server offers STARTTLS: choose "starttls" for this endpoint.'
        : 'Passwords travel unencrypted: use this only on a trusted network.',
    });
  } else if (address.security === 'starttls' && !capabilities.has('STARTTLS')) {
    checks.push({
      check: 'Encryption',
      status: 'failed',
      detail: 'The server does not offer STARTTLS: choose TLS (port 993) or no encryption.',
    });
    return checks;
  } else {
    checks.push({ check: 'Encryption', status: 'ok', detail: address.security === 'tls' ? 'Implicit TLS.' : 'STARTTLS offered.' });
  }

  const needs = endpoint.authMechanism === 'xoauth2' ? 'AUTH=XOAUTH2' : endpoint.adminMode === 'plain-authzid' ? 'AUTH=PLAIN' : undefined;
  // Before STARTTLS many servers hide their AUTH= list, so only judge it on an already-encrypted link.
  if (needs && address.security !== 'starttls') {
    checks.push(
      capabilities.has(needs)
        ? { check: 'Login method', status: 'ok', detail: `${needs} is offered.` }
        : {
            check: 'Login method',
            status: 'failed',
            detail: `The server does not offer ${needs}, which ${endpoint.authMechanism === 'xoauth2' ? 'OAuth 2.0 (XOAUTH2)' : 'admin access with an authorization identity (plain-authzid)'} needs. Choose another admin mode.`,
          },
    );
  }

  checks.push(await loginCheck(probe, outbound));
  return checks;
}

async function loginCheck(probe: EndpointProbe, outbound?: OutboundPolicy): Promise<EndpointCheck> {
  const { endpoint } = probe;
  const usesAdmin = endpoint.adminMode !== 'none' && !probe.testLogin;
  const mailbox = probe.testMailbox ?? probe.testLogin;
  const label = usesAdmin ? `Admin login (${endpoint.adminLogin})` : 'User login';
  if (!mailbox) {
    return {
      check: label,
      status: 'skipped',
      detail: usesAdmin
        ? 'Give a test mailbox address to check the admin login against: an admin reaches mailboxes, not a mailbox of its own.'
        : 'Give a test login and password to check a user login.',
    };
  }
  try {
    const access = usesAdmin
      ? { endpoint, mailbox, adminPassword: probe.adminPassword }
      : { endpoint, mailbox, login: probe.testLogin, password: probe.testPassword };
    const wire = await openLoggedInWire(imapAddress(access, outbound), imapLogin(access));
    wire.close();
    return { check: label, status: 'ok', detail: `Logged in to ${mailbox}.` };
  } catch (error) {
    return { check: label, status: 'failed', detail: ensureError(error).message };
  }
}
