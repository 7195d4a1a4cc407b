/**
 * Where connectors may connect. Endpoint hosts are typed by admins, so on a shared deployment an
 * endpoint could point at the deployment's own network (Azure's instance metadata at
 * 169.254.169.254, the platform's 168.63.129.16, private services) and use Mailferry to reach it.
 * On Azure only public destinations are allowed, and EWS only over HTTPS. The embedded host runs
 * on one admin's machine, where a mail server on the LAN or on 127.0.0.1 is normal.
 *
 * Every name is resolved by the connection's own `lookup` hook, which refuses the whole answer
 * when any address is not public and hands the socket the addresses it checked: there is no
 * second resolution between the check and the connect for DNS rebinding to slip into.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ValidationError } from '../core/errors.js';

export interface OutboundPolicy {
  /** Loopback, private, link-local and other non-public destinations are allowed. */
  allowNonPublic: boolean;
  /** EWS (and Graph) URLs may use http://. */
  allowPlainHttp: boolean;
}

/** The embedded host: one admin's machine, servers on the LAN or on loopback included. */
export const OPEN_OUTBOUND: OutboundPolicy = Object.freeze({ allowNonPublic: true, allowPlainHttp: true });
/** A shared deployment (Azure): public mail servers only, EWS over HTTPS only. */
export const PUBLIC_ONLY_OUTBOUND: OutboundPolicy = Object.freeze({ allowNonPublic: false, allowPlainHttp: false });

/** The Azure app setting that lets a deployment reach non-public mail servers (a VNet-connected Exchange). */
export const ALLOW_PRIVATE_SETTING = 'MAILFERRY_ALLOW_PRIVATE_DESTINATIONS';

/**
 * Special-purpose ranges (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890) plus
 * Azure's platform address 168.63.129.16 (DNS, health probes, the VM agent's wire server).
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
  ['168.63.129.16', 32],
] as const)
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // NAT64 and 6to4 addresses embed an IPv4 address that could be any of the above.
  ['::', 127],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');

/**
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is kept apart: BlockList matches every IPv4 address against
 * an IPv6 rule for that range. A mail server is never named by a mapped address, so all are refused.
 */
const IPV4_MAPPED = new BlockList();
IPV4_MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6 && IPV4_MAPPED.check(address, 'ipv6')) return false;
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export function outboundPolicyFromEnv(env: NodeJS.ProcessEnv): OutboundPolicy {
  const value = env.MAILFERRY_ALLOW_PRIVATE_DESTINATIONS?.trim().toLowerCase();
  const allow = value === '1' || value === 'true';
  return { ...PUBLIC_ONLY_OUTBOUND, allowNonPublic: allow };
}

function refusal(host: string, address: string): ValidationError {
  const shown = host === address ? address : `${host} (${address})`;
  return new ValidationError(
    `${shown} is not a public address (loopback, private, link-local or reserved); this deployment connects only to public mail servers. ` +
      `Use the server's public name, or set ${ALLOW_PRIVATE_SETTING}=1 on a deployment that must reach a private network.`,
    { field: 'host' },
  );
}

/**
 * Checks a host before connecting: an IP literal is never looked up (Node connects to it
 * directly), so it is checked here; a name is checked by the lookup hook when connecting.
 */
export function checkHost(host: string, policy: OutboundPolicy): void {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (!policy.allowNonPublic && isIP(bare) !== 0 && !isPublicAddress(bare)) throw refusal(host, bare);
}

/** An EWS (or Graph) URL this deployment may call, or a ValidationError saying what to change. */
export function checkServiceUrl(url: URL, policy: OutboundPolicy, what: string): void {
  if (!policy.allowPlainHttp && url.protocol !== 'https:') {
    throw new ValidationError(
      `${what} ${url.origin} uses ${url.protocol.replace(':', '')}; this deployment connects over HTTPS only: give an https:// URL.`,
      { field: 'host' },
    );
  }
  checkHost(url.hostname, policy);
}

/** Connection options for net/tls/http agents: the lookup hook, or nothing when everything is allowed. */
export function lookupOption(policy: OutboundPolicy): { lookup?: LookupFunction } {
  return policy.allowNonPublic ? {} : { lookup: guardedLookup };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, refusing the answer when any address is not public (a mixed answer is a rebinding attempt or a mistake). */
const guardedLookup = ((hostname: string, options: LookupOptions, callback: LookupCallback): void => {
  dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses) => {
    if (error) return callback(error, []);
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    if (blocked) return callback(refusal(hostname, blocked.address) as unknown as NodeJS.ErrnoException, []);
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    return callback(null, first!.address, first!.family);
  });
}) as unknown as LookupFunction;
