/**
 * "Add ▸ Autodiscover Items" as data: which discovered mailboxes can be added, their destination
 * addresses (same local part at the destination domain, as the API's own import does), and the
 * import request for the picked ones. Pure so it is tested without a browser.
 */
export interface DiscoveredRow {
  address: string;
  /** Already an item of the project: shown, not offered. */
  already: boolean;
}

/** The API's rule for a destination domain (discoverInput in api/core/schemas.ts). */
const DOMAIN = /^[a-z0-9.-]+\.[a-z]{2,}$/i;

export function discoveredRows(found: readonly string[], existingSources: readonly string[]): DiscoveredRow[] {
  const existing = new Set(existingSources.map((a) => a.toLowerCase()));
  return found.map((address) => ({ address, already: existing.has(address.toLowerCase()) }));
}

/** A pasted "@contoso.com" means the domain. */
export function bareDomain(domain: string): string {
  return domain.trim().replace(/^@/, '').toLowerCase();
}

export function domainProblem(domain: string): string | undefined {
  const bare = bareDomain(domain);
  if (!bare) return 'Give the destination domain, e.g. contoso.com.';
  return DOMAIN.test(bare) ? undefined : 'Must be a domain such as contoso.com.';
}

export function destinationFor(address: string, domain: string): string {
  return `${address.split('@')[0]}@${bareDomain(domain)}`;
}

/** The most common destination domain among the project's items: a good first guess. */
export function likelyDomain(destinations: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const address of destinations) {
    const domain = address.split('@')[1];
    if (domain) counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

/** The POST /projects/{id}/items/discover body that imports the picked mailboxes at the destination domain. */
export function discoverImportBody(addresses: readonly string[], domain: string) {
  return { import: true, destinationDomain: bareDomain(domain), addresses: [...addresses] };
}

/** The API's answer to an import: what it found again, how many items it added, how many were there already. */
export interface DiscoverImportResult {
  found: string[];
  added: number;
  alreadyThere: number;
}
