/**
 * The application: every use case a host offers, in one object built once by createMailferry
 * (create-mailferry.ts). HTTP handlers, CLI commands and Functions triggers only translate: they
 * parse their input, call one member of this object and map its result. The services below are
 * its building blocks; the use cases that span several of them (start a pass and send the
 * end-user links, end a pass and post its card, discovery, progress, the statistics e-mail) live
 * here so no host can wire them differently.
 */
import type { EndUserService, DeliveryReport } from '../end-user/end-user-service.js';
import type { EngineDeps } from '../engine/job-context.js';
import { MailferryError, ValidationError } from '../errors.js';
import { projectItems } from '../list-all.js';
import type { ItemProgress, ItemStatus, Project } from '../model.js';
import { passEndedListener } from '../notifications/pass-ended-listener.js';
import type { Mailer, Notifier } from '../ports.js';
import type { EndpointInput, PassInput, ProjectInput } from '../schemas.js';
import { AccessService, type Principal } from '../services/access-service.js';
import type { ServiceDeps } from '../services/context.js';
import { EndpointChecks } from '../services/endpoint-checks.js';
import { ItemService } from '../services/item-service.js';
import { PassService, type StartPassResult } from '../services/pass-service.js';
import { ProjectService } from '../services/project-service.js';
import type { ProjectItemCounts } from '../services/public-views.js';
import { SignInService } from '../services/sign-in-service.js';
import { StatisticsService } from '../services/statistics-service.js';
import { WorkgroupService } from '../services/workgroup-service.js';
import type { MailferryPorts } from './create-mailferry.js';
import { checkReportRecipient, statisticsReport } from './statistics-email.js';

export interface ItemProgressRow {
  id: string;
  sourceAddress: string;
  status: ItemStatus;
  progress?: Pick<
    ItemProgress,
    'copied' | 'skipped' | 'failed' | 'bytes' | 'foldersDone' | 'foldersTotal' | 'currentFolder' | 'messagesPerSecond'
  >;
  reason?: string;
}

export type StartPassOutcome = StartPassResult & { credentialRequests?: DeliveryReport | { error: string } };

/** The parts createMailferry hands over; hosts never build a Mailferry themselves. */
export interface MailferryParts {
  ports: MailferryPorts;
  deps: ServiceDeps;
  /** The engine's side effects, with this application's pass-ended listener already attached. */
  engine: Omit<EngineDeps, 'onPassEnded'>;
  endUser?: EndUserService;
  mailer?: Mailer;
  notifier: NotifierFor;
}

/** Builds the pass-ended notifier from the resolver of each project's webhook URL (kept in the vault). */
export type NotifierFor = (webhookUrlFor: (project: Project) => Promise<string | undefined>) => Notifier;

export class Mailferry {
  /** The adapters it was built with: a test builds a variant with createMailferry({ ...app.ports, vault }). */
  readonly ports: MailferryPorts;
  readonly deps: ServiceDeps;
  /** What the worker pool, the scheduler and the Functions triggers run the copy engine with. */
  readonly engine: EngineDeps;
  readonly projects: ProjectService;
  readonly items: ItemService;
  readonly passes: PassService;
  readonly statistics: StatisticsService;
  readonly access: AccessService;
  readonly workgroups: WorkgroupService;
  readonly endpointChecks: EndpointChecks;
  /** Administrators' device-code sign-ins (Groups over Graph), under way in this process. */
  readonly signIns: SignInService;
  private readonly endUserService?: EndUserService;
  private readonly mailer?: Mailer;

  constructor(parts: MailferryParts) {
    const { deps } = parts;
    this.ports = parts.ports;
    this.deps = deps;
    this.projects = new ProjectService(deps);
    this.items = new ItemService(deps);
    this.passes = new PassService(deps);
    this.statistics = new StatisticsService(deps);
    this.access = new AccessService(deps);
    this.workgroups = new WorkgroupService(deps, this.access);
    this.endpointChecks = new EndpointChecks(deps);
    this.signIns = new SignInService(deps);
    this.endUserService = parts.endUser;
    this.mailer = parts.mailer;
    // Ending a pass posts its card here, once, for every host: Azure once only logged it.
    const notifier = parts.notifier((project) => this.projects.teamsWebhookUrl(project));
    this.engine = {
      ...parts.engine,
      onPassEnded: passEndedListener({ store: deps.store, statistics: this.statistics, notifier, log: parts.engine.log }),
    };
  }

  /** Creates an endpoint in a workgroup the caller manages (default: their first). */
  async createEndpointAs(principal: Principal, input: EndpointInput) {
    const workgroupId = await this.access.workgroupForNew(principal, input.workgroupId);
    return this.projects.createEndpoint(principal.tenantId, { ...input, workgroupId });
  }

  /** A page of the tenant's endpoints (search is case-insensitive), keeping those of the caller's workgroups. */
  async endpointsVisibleTo(principal: Principal, search?: string, cursor?: string, limit?: number) {
    const result = await this.projects.listEndpoints(principal.tenantId, search, cursor, limit);
    return { ...result, items: await this.access.visibleEndpoints(principal, result.items) };
  }

  /** Creates a project in a workgroup the caller manages (default: their first). */
  async createProjectAs(principal: Principal, input: ProjectInput) {
    const workgroupId = await this.access.workgroupForNew(principal, input.workgroupId);
    return this.projects.createProject(principal.tenantId, { ...input, workgroupId });
  }

  /** A page of the tenant's projects, keeping those the caller may see. */
  async projectsVisibleTo(principal: Principal, search?: string, cursor?: string, limit?: number) {
    const result = await this.projects.listProjects(principal.tenantId, search, cursor, limit);
    const visible = await this.access.visibleProjects(principal, result.items);
    return {
      ...result,
      items: await Promise.all(visible.map(async (p) => ({ ...p, itemCounts: await this.itemCounts(principal.tenantId, p.id) }))),
    };
  }

  /** Four indexed counts per project: what the Projects list shows beside each name. */
  private async itemCounts(tenantId: string, projectId: string): Promise<ProjectItemCounts> {
    const count = (status?: ItemStatus) => this.deps.store.items.count(tenantId, status ? { projectId, status } : { projectId });
    const [total, completed, completedWithErrors, failed] = await Promise.all([
      count(),
      count('Completed'),
      count('Completed With Errors'),
      count('Failed'),
    ]);
    return { total, completed, completedWithErrors, failed };
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
        throw new ValidationError(
          `The source admin cannot reach ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}: pick addresses from the discovered list.`,
          { field: 'addresses' },
        );
      }
      picked = [...new Set(input.addresses)];
    }
    return { found, ...(await this.items.importDiscovered(tenantId, projectId, picked, input.destinationDomain!)) };
  }

  /**
   * E-mails the project's statistics (summary in the text, per-item CSV attached as text), only to
   * an address in one of the project's own domains: see statistics-email.ts for why.
   */
  async emailStatistics(tenantId: string, projectId: string, to: string): Promise<{ sent: true }> {
    if (!this.mailer)
      throw new MailferryError('unsupported', 'E-mail is not configured on this host: set up a mailer (SMTP or Microsoft Graph).');
    const project = await this.projects.getProject(tenantId, projectId);
    checkReportRecipient(to, await projectItems(this.deps.store, tenantId, projectId));
    const stats = await this.statistics.project(tenantId, projectId);
    const csv = await this.statistics.projectCsv(tenantId, projectId);
    await this.mailer.send({ to, ...statisticsReport(project, stats, csv) });
    return { sent: true };
  }

  /** One item's statistics, for the item's own route. */
  async itemStatistics(tenantId: string, itemId: string) {
    return this.statistics.item(await this.items.getItem(tenantId, itemId));
  }

  /** Credential requests ("Waiting For End User") and "Notify users". */
  get endUser(): EndUserService {
    if (!this.endUserService)
      throw new MailferryError(
        'unsupported',
        'E-mail to end users is not configured on this host: set up a mailer (SMTP or Microsoft Graph) and a link key.',
      );
    return this.endUserService;
  }

  /**
   * Starts a pass, then e-mails a credential link to each item that waits for its end user.
   * Without a mailer the items still wait, and the result says why no mail went out.
   */
  async startPass(tenantId: string, projectId: string, input: PassInput): Promise<StartPassOutcome> {
    const result = await this.passes.startPass(tenantId, projectId, input);
    const waiting = await this.deps.store.items.count(tenantId, { projectId, status: 'Waiting For End User' });
    if (!waiting) return result;
    if (!this.endUserService)
      return {
        ...result,
        credentialRequests: { error: 'Items wait for their end users, but this host has no mailer configured to send them links.' },
      };
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
        id: item.id,
        sourceAddress: item.sourceAddress,
        status: item.status,
        reason: item.lastRun?.reason,
        progress: p && {
          copied: p.copied,
          skipped: p.skipped,
          failed: p.failed,
          bytes: p.bytes,
          foldersDone: p.foldersDone,
          foldersTotal: p.foldersTotal,
          currentFolder: p.currentFolder,
          messagesPerSecond: p.messagesPerSecond,
        },
      };
    });
    return { items: rows, totals };
  }
}
