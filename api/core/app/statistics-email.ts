/**
 * The statistics e-mail: who may receive it and what it says. The report lists every mailbox of
 * the project with its errors, and it leaves from the operator's mailbox: sent anywhere, it would
 * let anyone who may run the project mail that list to an outsider under the operator's name. So
 * it goes only to an address in one of the project's own domains (its items' source and
 * destination domains). The caller's own address is not a way out: an Entra token's
 * preferred_username is neither verified nor stable (Microsoft says not to authorize on it); an
 * admin who needs the report elsewhere downloads the CSV.
 */
import { ValidationError } from '../errors.js';
import { formatBytes } from '../human-units.js';
import type { Item, Project } from '../model.js';
import type { MailMessage } from '../ports.js';
import type { ProjectStatistics } from '../services/statistics-service.js';

const MAX_NAMED_DOMAINS = 5;
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Every domain the project's mailboxes live in, on either side. */
function projectDomains(items: Pick<Item, 'sourceAddress' | 'destinationAddress'>[]): Set<string> {
  return new Set(items.flatMap((item) => [domainOf(item.sourceAddress), domainOf(item.destinationAddress)]));
}

/** Throws a ValidationError naming the project's domains unless `to` is in one of them. */
export function checkReportRecipient(to: string, items: Pick<Item, 'sourceAddress' | 'destinationAddress'>[]): void {
  const domains = projectDomains(items);
  if (domains.has(domainOf(to))) return;
  const known = [...domains].sort();
  throw new ValidationError(
    known.length
      ? `The statistics report goes only to an address in one of this project's domains (${known.slice(0, MAX_NAMED_DOMAINS).join(', ')}${known.length > MAX_NAMED_DOMAINS ? ', …' : ''}), because it lists every mailbox of the project. To share it elsewhere, download the CSV.`
      : "The statistics report goes only to an address in one of the project's domains, and this project has no items yet.",
    { field: 'to' },
  );
}

/** Subject and text of the report: the summary, the top error reasons, then the per-item CSV. */
export function statisticsReport(project: Project, stats: ProjectStatistics, csv: string): Omit<MailMessage, 'to'> {
  const lines = [
    `Migration statistics for "${project.name}"`,
    '',
    `Items: ${stats.items} (${Object.entries(stats.byStatus)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')})`,
    `Messages copied: ${stats.copied}, already there: ${stats.skipped}, failed: ${stats.failed}`,
    `Data copied: ${formatBytes(stats.bytes)} at ${stats.messagesPerSecond} messages/s`,
    ...(stats.errorsByReason.length ? ['', 'Top error reasons:', ...stats.errorsByReason.map((r) => `  ${r.count} × ${r.reason}`)] : []),
    '',
    'Per item (CSV):',
    '',
    csv,
  ];
  return { subject: `Mailferry statistics: ${project.name}`, text: lines.join('\n') };
}
