import { ValidationError } from '../core/errors.js';
import { ITEM_STATUSES, type ItemStatus } from '../core/model.js';
import {
  changeDomainInput,
  discoverInput,
  endpointInput,
  endpointPatch,
  endpointTestInput,
  itemInput,
  itemPatch,
  membersInput,
  parseInput,
  passInput,
  projectInput,
  projectPatch,
  shareInput,
  statisticsEmailInput,
  workgroupInput,
} from '../core/schemas.js';
import { publicEndpoint, publicItem, publicProject } from '../core/services/public-views.js';
import type { ApiRequest, ApiResponse } from './api-types.js';
import type { AccessRule } from './authorize.js';
import type { Mailferry } from '../core/app/mailferry.js';

export type Handler = (req: ApiRequest, services: Mailferry) => Promise<ApiResponse>;
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/api/v1/projects/:projectId` style; `:name` segments land in `req.params`. */
  path: string;
  /** Who may call it; checked by the router before the handler runs. */
  access: AccessRule;
  handler: Handler;
  /** For the OpenAPI document: one line, and (optionally) what a client must know beyond it. */
  summary: string;
  description?: string;
  body?: import('zod').ZodType;
  /** The body may be left out (the handler reads no body as `{}`, see bodyOrEmpty). */
  optionalBody?: true;
  /** Query parameters the handler reads, for the OpenAPI document. */
  query?: Record<string, QueryParameter>;
  /** Takes a text/csv body besides JSON (Bulk Add); every other route answers 415 to CSV. */
  takesCsv?: true;
}

/** A query parameter as the OpenAPI document shows it (a JSON Schema for its value). */
export interface QueryParameter {
  description: string;
  schema: Record<string, unknown>;
}

/** `cursor` and `limit`, read by every route that lists (see `page`). */
const PAGED: Record<string, QueryParameter> = {
  cursor: { description: 'Where the previous page ended (its nextCursor)', schema: { type: 'string' } },
  limit: { description: 'Records per page', schema: { type: 'integer', minimum: 1 } },
};
const SEARCHED: Record<string, QueryParameter> = {
  ...PAGED,
  search: { description: 'Case-insensitive text to look for', schema: { type: 'string' } },
};

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });
const noContent: ApiResponse = { status: 204 };
const page = (req: ApiRequest) => ({ cursor: req.query.get('cursor') ?? undefined, limit: numberParam(req, 'limit') });
const search = (req: ApiRequest) => req.query.get('search') ?? undefined;

function numberParam(req: ApiRequest, name: string): number | undefined {
  const raw = req.query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ValidationError(`${name} must be a positive integer.`, { field: name });
  return value;
}

/**
 * For routes whose fields are all optional: no body means "no options". A JSON `null` (or any
 * other non-object) is still refused by the schema rather than taken for an empty object.
 */
export function bodyOrEmpty(req: ApiRequest): unknown {
  return req.body === undefined ? {} : req.body;
}

function csvBody(req: ApiRequest): string {
  if (typeof req.body === 'string') return req.body;
  const csv = (req.body as { csv?: unknown } | undefined)?.csv;
  if (typeof csv === 'string') return csv;
  throw new ValidationError('Send the CSV as a text/csv body, or as JSON {"csv": "..."}.', { field: 'csv' });
}

const project = (action: 'view' | 'run' | 'edit' | 'delete'): AccessRule => ({ project: action, from: 'projectId' });
const viaItem = (action: 'view' | 'run' | 'edit'): AccessRule => ({ project: action, from: 'itemId' });
const viaPass = (action: 'view' | 'run'): AccessRule => ({ project: action, from: 'passId' });

export const routes: Route[] = [
  { method: 'GET', path: '/api/v1/health', access: { public: true }, summary: 'Liveness', handler: async () => ok({ status: 'ok' }) },

  {
    method: 'GET',
    path: '/api/v1/workgroups',
    access: { tenant: 'view' },
    summary: 'Workgroups you belong to',
    handler: async (req, s) => ok({ items: await s.workgroups.list(req.principal) }),
  },
  {
    method: 'POST',
    path: '/api/v1/workgroups',
    access: { tenant: 'manage' },
    summary: 'Create a workgroup (you become its Owner)',
    body: workgroupInput,
    handler: async (req, s) => ok(await s.workgroups.create(req.principal, parseInput(workgroupInput, req.body).name), 201),
  },
  {
    method: 'PUT',
    path: '/api/v1/workgroups/:workgroupId/members',
    access: { workgroup: 'owner' },
    summary: 'Replace members and roles (Owner only)',
    body: membersInput,
    description:
      'Roles: Owner (everything, including members and deleting projects), Manager (create, edit and run projects and endpoints), Agent (see and run passes), Inactive (nothing).',
    handler: async (req, s) =>
      ok(await s.workgroups.setMembers(req.principal, req.params.workgroupId!, parseInput(membersInput, req.body).members)),
  },

  {
    method: 'POST',
    path: '/api/v1/endpoints',
    access: { tenant: 'manage' },
    summary: 'Create an endpoint in a workgroup you manage (default: your first)',
    body: endpointInput,
    description:
      "Passwords and Modern Auth client secrets are stored encrypted and never returned (`hasAdminPassword`, `hasAppSecret`). Only members of the endpoint's workgroup see it; only its Managers and Owners check, change or delete it.",
    handler: async (req, s) => ok(await s.createEndpointAs(req.principal, parseInput(endpointInput, req.body)), 201),
  },
  {
    method: 'GET',
    path: '/api/v1/endpoints',
    access: { tenant: 'view' },
    summary: 'List the endpoints of your workgroups (search is case-insensitive)',
    query: SEARCHED,
    handler: async (req, s) => ok(await s.endpointsVisibleTo(req.principal, search(req), page(req).cursor, page(req).limit)),
  },
  {
    method: 'GET',
    path: '/api/v1/endpoints/:endpointId',
    access: { endpoint: 'view' },
    summary: 'One endpoint (secrets never returned: hasAdminPassword, hasAppSecret)',
    handler: async (req, s) => ok(publicEndpoint(await s.projects.getEndpoint(req.tenantId, req.params.endpointId!))),
  },
  {
    method: 'PATCH',
    path: '/api/v1/endpoints/:endpointId',
    access: { endpoint: 'manage' },
    summary: 'Edit an endpoint, or switch a Microsoft 365 endpoint between Graph and EWS',
    body: endpointPatch,
    description:
      'Any field but its workgroup (`port: null` goes back to the default); a password or client secret left out keeps the stored one, and the endpoint is checked again as a whole. ' +
      'Pointing it at another server (host, port, security) asks for the admin password again, and is refused while items hold passwords typed for the old server. ' +
      '`{"protocol": "graph" | "ews"}` switches a Microsoft 365 endpoint between Microsoft Graph and EWS (Graph needs the endpoint\'s app registration); a Groups endpoint switched to Graph also names its app (`appClientId`, `appTenantId`). ' +
      'A new certificate (`appCertificate`) replaces the old one, whose key is deleted from the vault.',
    handler: async (req, s) => {
      // Another tenant's endpoint is a 404 before its body is judged.
      await s.projects.getEndpoint(req.tenantId, req.params.endpointId!);
      return ok(await s.projects.updateEndpoint(req.tenantId, req.params.endpointId!, parseInput(endpointPatch, req.body)));
    },
  },
  {
    method: 'POST',
    path: '/api/v1/endpoints/:endpointId/validate',
    access: { endpoint: 'manage' },
    summary: '"Save and Go to Summary": check connection, encryption, login method and the admin login',
    body: endpointTestInput,
    optionalBody: true,
    description:
      'Each check comes back with what to fix. `testMailbox` is the mailbox the admin login (or the app) is tried on; `role` (`source` or `destination`) makes a Graph permission only the other side needs a warning instead of a failure.',
    handler: async (req, s) =>
      ok(await s.endpointChecks.validate(req.tenantId, req.params.endpointId!, parseInput(endpointTestInput, bodyOrEmpty(req)))),
  },
  {
    method: 'POST',
    path: '/api/v1/endpoints/:endpointId/sign-in',
    access: { endpoint: 'manage' },
    summary: "Start an administrator's device-code sign-in (Microsoft 365 Groups over Graph): returns the code and the page to enter it",
    description:
      "202 with `prompt.userCode`, `prompt.verificationUri` and `prompt.message`; then poll GET on the same path. Managers and Owners of the endpoint's workgroup.",
    handler: async (req, s) => ok(await s.signIns.start(req.tenantId, req.params.endpointId!), 202),
  },
  {
    method: 'GET',
    path: '/api/v1/endpoints/:endpointId/sign-in',
    access: { endpoint: 'manage' },
    summary: "Where the administrator's sign-in stands: none, waiting (with the code), signed-in (as whom) or failed (why)",
    description:
      '`state` is `none`, `waiting`, `signed-in` (with `signedInAs`) or `failed` (with `error`). A sign-in under way lives in the process that started it: on Azure Functions a poll that lands on another instance answers `none`.',
    handler: async (req, s) => ok(await s.signIns.status(req.tenantId, req.params.endpointId!)),
  },
  {
    method: 'DELETE',
    path: '/api/v1/endpoints/:endpointId',
    access: { endpoint: 'manage' },
    summary: 'Delete an unused endpoint',
    description: 'Refused, naming the projects, while a project uses the endpoint.',
    handler: async (req, s) => {
      await s.projects.deleteEndpoint(req.tenantId, req.params.endpointId!);
      return noContent;
    },
  },

  {
    method: 'POST',
    path: '/api/v1/projects',
    access: { tenant: 'manage' },
    summary: 'Create a project',
    body: projectInput,
    description:
      "`workgroupId` must be a workgroup you manage; the project stays in it. `teamsWebhookUrl` (a Teams Workflows webhook, for a card when each pass ends) is kept encrypted and never returned (`hasTeamsWebhook`). Both endpoints must belong to the project's workgroup.",
    handler: async (req, s) => ok(await s.createProjectAs(req.principal, parseInput(projectInput, req.body)), 201),
  },
  {
    method: 'GET',
    path: '/api/v1/projects',
    access: { tenant: 'view' },
    summary: 'List the projects you can see',
    query: SEARCHED,
    handler: async (req, s) => ok(await s.projectsVisibleTo(req.principal, search(req), page(req).cursor, page(req).limit)),
  },
  {
    method: 'GET',
    path: '/api/v1/projects/:projectId',
    access: project('view'),
    summary: 'A project (secrets masked)',
    handler: async (req, s) => ok(publicProject(await s.projects.getProject(req.tenantId, req.params.projectId!))),
  },
  {
    method: 'PATCH',
    path: '/api/v1/projects/:projectId',
    access: project('edit'),
    summary: 'Edit a project or its support options',
    body: projectPatch,
    description:
      'A PATCH cannot move a project to another workgroup. Changing an endpoint while items hold passwords for that side answers 409 with how many, unless the request also sends `"clearItemPasswords": true`.',
    handler: async (req, s) => ok(await s.projects.updateProject(req.tenantId, req.params.projectId!, parseInput(projectPatch, req.body))),
  },
  {
    method: 'DELETE',
    path: '/api/v1/projects/:projectId',
    access: project('delete'),
    summary: 'Delete a project with its items, ledger and error logs',
    handler: async (req, s) => {
      await s.projects.deleteProject(req.tenantId, req.params.projectId!);
      return noContent;
    },
  },
  {
    method: 'PUT',
    path: '/api/v1/projects/:projectId/sharing',
    access: project('edit'),
    summary: 'Share a project with users (view, run or edit)',
    body: shareInput,
    handler: async (req, s) =>
      ok(publicProject(await s.workgroups.share(req.principal, req.params.projectId!, parseInput(shareInput, req.body).sharedWith))),
  },

  {
    method: 'POST',
    path: '/api/v1/projects/:projectId/items',
    access: project('edit'),
    summary: 'Quick Add one item',
    body: itemInput,
    handler: async (req, s) => ok(await s.items.addItem(req.tenantId, req.params.projectId!, parseInput(itemInput, req.body)), 201),
  },
  {
    method: 'POST',
    path: '/api/v1/projects/:projectId/items/bulk',
    access: project('edit'),
    summary: 'Bulk Add from CSV (text/csv); 207 with a row-by-row report when rows are bad',
    takesCsv: true,
    description:
      'Columns `Source Email, Destination Email`, optionally `Source Login Name, Source Password, Destination Login Name, Destination Password` and `End User Confirms Password` (Yes/No); header row optional, `,` or `;`. ' +
      'Good rows are saved in one all-or-nothing write; each bad row comes back with its line, column and what is wrong. At most 10 MiB. Also taken as JSON `{"csv": "..."}`.',
    handler: async (req, s) => {
      const report = await s.items.bulkAdd(req.tenantId, req.params.projectId!, csvBody(req));
      return ok(report, report.problems.length ? 207 : 201);
    },
  },
  {
    method: 'GET',
    path: '/api/v1/projects/:projectId/items',
    access: project('view'),
    summary: 'List items (filter by status, search)',
    query: { ...SEARCHED, status: { description: 'Only items with this status', schema: { type: 'string', enum: [...ITEM_STATUSES] } } },
    handler: async (req, s) =>
      ok(
        await s.items.listItems(req.tenantId, req.params.projectId!, {
          status: (req.query.get('status') ?? undefined) as ItemStatus | undefined,
          search: search(req),
          ...page(req),
        }),
      ),
  },
  {
    method: 'POST',
    path: '/api/v1/projects/:projectId/items/change-domain',
    access: project('edit'),
    summary: 'Change Domain of selected or all items',
    body: changeDomainInput,
    handler: async (req, s) => ok(await s.items.changeDomain(req.tenantId, req.params.projectId!, parseInput(changeDomainInput, req.body))),
  },
  {
    method: 'POST',
    path: '/api/v1/projects/:projectId/items/discover',
    access: project('edit'),
    summary: 'Autodiscover items from the source endpoint (list, or import with a destination domain)',
    body: discoverInput,
    optionalBody: true,
    description:
      'Sources over EWS (EWS ResolveNames); an IMAP source or a Microsoft 365 source over Graph answers why not (use Bulk Add). `{}` lists the mailboxes; `{"import": true, "destinationDomain": "…", "addresses": [picks]}` adds the picked ones as items.',
    handler: async (req, s) => ok(await s.discoverItems(req.tenantId, req.params.projectId!, parseInput(discoverInput, bodyOrEmpty(req)))),
  },
  {
    method: 'GET',
    path: '/api/v1/items/:itemId',
    access: viaItem('view'),
    summary: 'An item (secrets never returned)',
    description: 'Support options are masked.',
    handler: async (req, s) => ok(publicItem(await s.items.getItem(req.tenantId, req.params.itemId!))),
  },
  {
    method: 'PATCH',
    path: '/api/v1/items/:itemId',
    access: viaItem('edit'),
    summary: 'Edit an item, its credentials or support options',
    body: itemPatch,
    description: '`sourceLogin`, `sourcePassword` (and the destination pair) set to `null` clear a per-item login.',
    handler: async (req, s) => ok(await s.items.updateItem(req.tenantId, req.params.itemId!, parseInput(itemPatch, req.body))),
  },
  {
    method: 'DELETE',
    path: '/api/v1/items/:itemId',
    access: viaItem('edit'),
    summary: 'Delete an item with its ledger and error log',
    description: "Refused while the item's pass is running.",
    handler: async (req, s) => {
      await s.items.deleteItem(req.tenantId, req.params.itemId!);
      return noContent;
    },
  },
  {
    method: 'GET',
    path: '/api/v1/items/:itemId/errors',
    access: viaItem('view'),
    summary: 'The error log of an item',
    query: PAGED,
    handler: async (req, s) => ok(await s.items.errorLog(req.tenantId, req.params.itemId!, page(req).cursor, page(req).limit)),
  },

  {
    method: 'GET',
    path: '/api/v1/items/:itemId/statistics',
    access: viaItem('view'),
    summary: 'Statistics of one item: totals, last run, folders, errors by reason',
    handler: async (req, s) => ok(await s.itemStatistics(req.tenantId, req.params.itemId!)),
  },
  {
    method: 'POST',
    path: '/api/v1/projects/:projectId/passes',
    access: project('run'),
    summary: 'Start a pass (verify, trial, prestage, full, retry-errors)',
    body: passInput,
    description:
      'Items without credentials go to Waiting For End User and their users are e-mailed a link (the answer reports what was sent). `retry-errors` is allowed only for items whose last pass completed with at least one error.',
    handler: async (req, s) => ok(await s.startPass(req.tenantId, req.params.projectId!, parseInput(passInput, req.body)), 202),
  },
  {
    method: 'GET',
    path: '/api/v1/projects/:projectId/passes',
    access: project('view'),
    summary: 'List passes',
    query: PAGED,
    handler: async (req, s) => ok(await s.passes.listPasses(req.tenantId, req.params.projectId!, page(req).cursor, page(req).limit)),
  },
  {
    method: 'GET',
    path: '/api/v1/passes/:passId',
    access: viaPass('view'),
    summary: 'A pass with its summary when ended',
    handler: async (req, s) => ok(await s.passes.getPass(req.tenantId, req.params.passId!)),
  },
  {
    method: 'POST',
    path: '/api/v1/passes/:passId/stop',
    access: viaPass('run'),
    summary: 'Stop a pass',
    handler: async (req, s) => ok(await s.passes.stopPass(req.tenantId, req.params.passId!), 202),
  },

  {
    method: 'GET',
    path: '/api/v1/projects/:projectId/progress',
    access: project('view'),
    summary: 'Per-item status and progress in one read',
    description: 'Cheap enough to poll every 2 s.',
    handler: async (req, s) => ok(await s.progress(req.tenantId, req.params.projectId!)),
  },
  {
    method: 'GET',
    path: '/api/v1/projects/:projectId/statistics',
    access: project('view'),
    summary: 'Statistics as JSON, or CSV with ?format=csv',
    description:
      "Totals, statuses, throughput and the top error reasons; the CSV has one row per item, and a cell starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` so spreadsheets do not run it.",
    query: { format: { description: '`csv` for one row per item', schema: { type: 'string', enum: ['csv'] } } },
    handler: async (req, s) => {
      if (req.query.get('format') === 'csv') {
        return {
          status: 200,
          text: await s.statistics.projectCsv(req.tenantId, req.params.projectId!),
          headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="statistics.csv"' },
        };
      }
      return ok(await s.statistics.project(req.tenantId, req.params.projectId!));
    },
  },
  // 'run', not 'view': the mail leaves from the operator's mailbox (see Mailferry.emailStatistics).
  {
    method: 'POST',
    path: '/api/v1/projects/:projectId/statistics/email',
    access: project('run'),
    summary: "E-mail the statistics report to an address in one of the project's domains",
    body: statisticsEmailInput,
    description: "Needs run access, and goes only to an address in one of the project's domains (the report lists every mailbox).",
    handler: async (req, s) =>
      ok(await s.emailStatistics(req.tenantId, req.params.projectId!, parseInput(statisticsEmailInput, req.body).to), 202),
  },
];
