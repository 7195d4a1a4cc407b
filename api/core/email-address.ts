/**
 * Mailbox address checks shared by Bulk Add (csv-import.ts) and `RecipientMapping`
 * (support-options.ts), so both say the same thing about the same mistake.
 *
 * Deliberately simpler than RFC 5322: a migration moves real mailboxes on Exchange and IMAP
 * servers, none of which accept quoted local parts or comments, so those are refused here
 * with a message instead of failing later at the server.
 */

/** RFC 5321 §4.5.3.1.1: the local part is at most 64 octets. */
export const MAX_LOCAL_PART_LENGTH = 64;
/** RFC 5321 §4.5.3.1.3 path limit (256) minus the angle brackets. */
export const MAX_ADDRESS_LENGTH = 254;
/** RFC 1035 §2.3.4: a domain name is at most 253 characters as written, a label at most 63. */
export const MAX_DOMAIN_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

/** Characters Exchange and common IMAP servers accept in a local part (RFC 5322 atext plus dots). */
const LOCAL_PART_PATTERN = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
/** One DNS label, letters/digits/hyphens (internationalized domains arrive as xn-- punycode or as Unicode letters). */
const LABEL_PATTERN = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;

/** Why `domain` (without `@`) is not a usable mail domain, or undefined when it is. */
export function describeDomainProblem(domain: string): string | undefined {
  if (domain === '') return 'the domain after the @ is missing';
  if (domain.length > MAX_DOMAIN_LENGTH) return `the domain is longer than ${MAX_DOMAIN_LENGTH} characters`;
  if (/\s/u.test(domain)) return 'the domain contains a space';
  const labels = domain.split('.');
  if (labels.length < 2) return `the domain "${domain}" has no dot (expected something like example.com)`;
  for (const label of labels) {
    if (label === '') return `the domain "${domain}" has an empty part between dots`;
    if (label.length > MAX_LABEL_LENGTH) return `a part of the domain is longer than ${MAX_LABEL_LENGTH} characters`;
    if (!LABEL_PATTERN.test(label)) {
      return `the domain "${domain}" may contain only letters, digits, hyphens and dots`;
    }
  }
  return undefined;
}

/**
 * Why `address` is not a usable mailbox address, or undefined when it is. The message never
 * repeats the whole value: a misaligned CSV may have put a password where an address belongs.
 */
export function describeAddressProblem(address: string): string | undefined {
  if (address === '') return 'the address is empty';
  if (/\s/u.test(address)) return 'the address contains a space';
  if (address.length > MAX_ADDRESS_LENGTH) return `the address is longer than ${MAX_ADDRESS_LENGTH} characters`;
  const at = address.indexOf('@');
  if (at < 0) return 'the address has no @';
  if (address.indexOf('@', at + 1) >= 0) return 'the address has more than one @';
  const local = address.slice(0, at);
  if (local === '') return 'nothing comes before the @';
  if (local.length > MAX_LOCAL_PART_LENGTH) return `the part before the @ is longer than ${MAX_LOCAL_PART_LENGTH} characters`;
  if (!LOCAL_PART_PATTERN.test(local))
    return 'the part before the @ contains a character mail servers do not accept (such as < > " , ; or :)';
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return 'the part before the @ starts or ends with a dot, or has two dots in a row';
  }
  return describeDomainProblem(address.slice(at + 1));
}

/**
 * Trims and lower-cases the domain. The local part keeps its case: RFC 5321 §2.4 lets a server
 * treat it as case-sensitive, and the address is shown back to the admin as typed.
 */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}
