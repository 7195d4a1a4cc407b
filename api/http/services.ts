import { formatBytes } from '../core/human-units.js';
import { EndUserService, type DeliveryReport, type EndUserConfig } from '../core/end-user/end-user-service.js';
import { MailferryError, ValidationError } from '../core/errors.js';
import type { Mailer } from '../core/ports.js';
import { EndpointChecks } from '../core/services/endpoint-checks.js';
import type { Item, ItemProgress, ItemStatus } from '../core/model.js';
import { AccessService } from '../core/services/access-service.js';
import type { ServiceDeps } from '../core/services/context.js';
import { WorkgroupService } from '../core/services/workgroup-service.js';
import { ItemService } from '../core/services/item-service.js';
import { projectItems } from '../core/list-all.js';
import { PassService, type StartPassResult } from '../core/services/pass-service.js';
import type { PassInput } from '../core/schemas.js';
import { ProjectService } from '../core/services/project-service.js';
import { StatisticsService } from '../core/services/statistics-service.js';


export interface ItemProgressRow {
  id: string;
  sourceAddress: string;
  status: ItemStatus;
  progress?: Pick<ItemProgress, 'copied' | 'skipped' | 'failed' | 'bytes' | 'foldersDone' | 'foldersTotal' | 'currentFolder' | 'messagesPerSecond'>;
  reason?: string;
}

/** The core services one host needs, built once from the ports. */
export class Services {
  readonly projects: ProjectService;
  readonly items: ItemService;
  readonly passes: PassService;
  readonly statistics: StatisticsService;
  readonly access: AccessService;
  readonly workgroups: WorkgroupService;
  readonly endpointChecks: EndpointChecks;
  private readonly endUserService?: EndUserService;
  private readonly mailer?: Mailer;

  /** `endUser`: mailer, link keyring, connectors and public URL; without it the end-user routes answer 501. */
  constructor(readonly deps: ServiceDeps, endUser?: EndUserConfig) {
    this.projects = new ProjectService(deps);
    this.items = new ItemService(deps);
    this.passes = new PassService(deps);
    this.statistics = new StatisticsService(deps);
    this.access = new AccessService(deps);
    this.workgroups = new WorkgroupService(deps, this.access);
    this.endpointChecks = new EndpointChecks(deps);
    this.endUserService = endUser && new EndUserService(deps, endUser);
    this.mailer = endUser?.mailer;
  }

  /** Autodiscover: lists the source endpoint's mailboxes and, when asked, imports the new ones as items. */
  async discoverItems(tenantId: string, projectId: string, input: { import: boolean; destinationDomain?: string; addresses?: string[] }) {
    const project = await this.projects.getProject(tenantId, projectId);
    const found = await this.endpointChecks.discover(tenantId, project.sourceEndpointId);
    if (!input.import) return { found };
    let picked = found;
    if (input.addresses) {
      const reachable = new Set(found);
      const unknown = input.addresses.filter((a) => !reachable.has(a));
      if (unknown.length) {
        throw new ValidationError(`The source admin cannot reach ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}: pick addresses from the discovered list.`, { field: 'addresses' });
      }
      picked = [...new Set(input.addresses)];
    }
    return { found, ...(await this.items.importDiscovered(tenantId, projectId, picked, input.destinationDomain!)) };
  }

  /**
   * E-mails the project's statistics (summary in the text, per-item CSV attached as text), only to
   * an address in one of the project's own domains (its items' source and destination domains).
   * The report lists every mailbox of the project with its errors, and it leaves from the
   * operator's mailbox: sent anywhere, it would let anyone who may run the project mail that list
   * to an outsider under the operator's name. The caller's own address is not a way out: an Entra
   * token's preferred_username is neither verified nor stable (Microsoft says not to authorize on
   * it); an admin who needs the report elsewhere downloads the CSV.
   */
  async emailStatistics(tenantId: string, projectId: string, to: string): Promise<{ sent: true }> {
    if (!this.mailer) throw new MailferryError('unsupported', 'E-mail is not configured on this host: set up a mailer (SMTP or Microsoft Graph).');
    const project = await this.projects.getProject(tenantId, projectId);
    const domains = projectDomains(await projectItems(this.deps.store, tenantId, projectId));
    if (!domains.has(domainOf(to))) {
      const known = [...domains].sort();
      throw new ValidationError(known.length
        ? `The statistics report goes only to an address in one of this project's domains (${known.slice(0, MAX_NAMED_DOMAINS).join(', ')}${known.length > MAX_NAMED_DOMAINS ? ', …' : ''}), because it lists every mailbox of the project. To share it elsewhere, download the CSV.`
        : 'The statistics report goes only to an address in one of the project\'s domains, and this project has no items yet.', { field: 'to' });
    }
    const stats = await this.statistics.project(tenantId, projectId);
    const csv = await this.statistics.projectCsv(tenantId, projectId);
    const lines = [
      `Migration statistics for "${project.name}"`, '',
      `Items: ${stats.items} (${Object.entries(stats.byStatus).map(([k, v]) => `${k}: ${v}`).join(', ')})`,
      `Messages copied: ${stats.copied}, already there: ${stats.skipped}, failed: ${stats.failed}`,
      `Data copied: ${formatBytes(stats.bytes)} at ${stats.messagesPerSecond} messages/s`,
      ...(stats.errorsByReason.length ? ['', 'Top error reasons:', ...stats.errorsByReason.map((r) => `  ${r.count} × ${r.reason}`)] : []),
      '', 'Per item (CSV):', '', csv,
    ];
    await this.mailer.send({ to, subject: `Mailferry statistics: ${project.name}`, text: lines.join('\n') });
    return { sent: true };
  }

  /** One item's statistics, for the item's own route. */
  async itemStatistics(tenantId: string, itemId: string) {
    return this.statistics.item(await this.items.getItem(tenantId, itemId));
  }

  /** Credential requests ("Waiting For End User") and "Notify users". */
  get endUser(): EndUserService {
    if (!this.endUserService) throw new MailferryError('unsupported', 'E-mail to end users is not configured on this host: set up a mailer (SMTP or Microsoft Graph) and a link key.');
    return this.endUserService;
  }

  /**
   * Starts a pass, then e-mails a credential link to each item that waits for its end user.
   * Without a mailer the items still wait, and the result says why no mail went out.
   */
  async startPass(tenantId: string, projectId: string, input: PassInput): Promise<StartPassResult & { credentialRequests?: DeliveryReport | { error: string } }> {
    const result = await this.passes.startPass(tenantId, projectId, input);
    const waiting = await this.deps.store.items.count(tenantId, { projectId, status: 'Waiting For End User' });
    if (!waiting) return result;
    if (!this.endUserService) return { ...result, credentialRequests: { error: 'Items wait for their end users, but this host has no mailer configured to send them links.' } };
    return { ...result, credentialRequests: await this.endUserService.requestForPass(tenantId, result.pass.id) };
  }

  /** Compact per-item progress: one read of the project's items, cheap enough to poll every 2 s. */
  async progress(tenantId: string, projectId: string): Promise<{ items: ItemProgressRow[]; totals: Record<string, number> }> {
    await this.projects.getProject(tenantId, projectId);
    const items = await projectItems(this.deps.store, tenantId, projectId);
    const totals: Record<string, number> = {};
    const rows = items.map((item): ItemProgressRow => {
      totals[item.status] = (totals[item.status] ?? 0) + 1;
      const p = item.progress;
      return {
        id: item.id, sourceAddress: item.sourceAddress, status: item.status, reason: item.lastRun?.reason,
        progress: p && { copied: p.copied, skipped: p.skipped, failed: p.failed, bytes: p.bytes, foldersDone: p.foldersDone, foldersTotal: p.foldersTotal, currentFolder: p.currentFolder, messagesPerSecond: p.messagesPerSecond },
      };
    });
    return { items: rows, totals };
  }
}

const MAX_NAMED_DOMAINS = 5;
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
/** Every domain the project's mailboxes live in, on either side. */
function projectDomains(items: Pick<Item, 'sourceAddress' | 'destinationAddress'>[]): Set<string> {
  return new Set(items.flatMap((item) => [domainOf(item.sourceAddress), domainOf(item.destinationAddress)]));
}
