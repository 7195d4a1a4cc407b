/**
 * Input shapes for every admin action, shared by the HTTP API and the CLI (and, later, the
 * OpenAPI document). Services receive values that already passed these.
 */
import { z } from 'zod';
import { readAppCertificate } from './app-certificate.js';
import { ValidationError, ensureError } from './errors.js';
import { ENDPOINT_KINDS, M365_CLOUDS, M365_PROTOCOLS, PASS_KINDS, WORKGROUP_ROLES } from './model.js';

const MAX_NAME_LENGTH = 200;
const MAX_OPTION_LINES = 200;
const MAX_ITEMS_PER_REQUEST = 50_000;
const MAX_CONCURRENT_MIGRATIONS = 100;
const IMAP_PORT_MAX = 65_535;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const address = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'must be an e-mail address such as user@contoso.com' }));
/** Support option lines as sent; creation defaults them to none, a patch leaves them alone when absent. */
const optionLines = z.array(z.string().max(4_000)).max(MAX_OPTION_LINES);

/** PEM text of a certificate and its private key; checked by readAppCertificate (which never quotes the key). */
const MAX_CERTIFICATE_PEM = 64_000;
const appCertificateText = z
  .string()
  .min(1)
  .max(MAX_CERTIFICATE_PEM, 'is too long for a certificate and its key (64 KB at most)')
  .superRefine((pem, ctx) => {
    try {
      readAppCertificate(pem);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: ensureError(error).message });
    }
  });

export const endpointInput = z
  .object({
    name: z.string().trim().min(1).max(MAX_NAME_LENGTH),
    /** The workgroup that will own it; default: the first one the caller manages. */
    workgroupId: z.string().min(1).optional(),
    kind: z.enum(ENDPOINT_KINDS as [string, ...string[]]).transform((k) => k as (typeof ENDPOINT_KINDS)[number]),
    /** Required for imap and exchange; Microsoft 365 kinds default to their cloud's EWS host. */
    host: z.string().trim().default(''),
    port: z.number().int().min(1).max(IMAP_PORT_MAX).optional(),
    security: z.enum(['tls', 'starttls', 'none']).default('tls'),
    allowSelfSigned: z.boolean().default(false),
    adminMode: z.enum(['plain-authzid', 'login-star', 'delegation', 'impersonation', 'none']).default('none'),
    adminLogin: z.string().trim().min(1).optional(),
    adminPassword: z.string().min(1).optional(),
    authMechanism: z.enum(['password', 'xoauth2', 'oauth-app']).default('password'),
    cloud: z
      .enum(M365_CLOUDS as [string, ...string[]])
      .transform((c) => c as (typeof M365_CLOUDS)[number])
      .optional(),
    /** `m365` only: `graph` (the default for a new endpoint) or `ews`. */
    protocol: z
      .enum(M365_PROTOCOLS as [string, ...string[]])
      .transform((p) => p as (typeof M365_PROTOCOLS)[number])
      .optional(),
    appClientId: z.string().trim().regex(GUID, 'must be the application (client) ID, a GUID from the app registration').optional(),
    appTenantId: z.string().trim().min(1, 'must be the directory (tenant) ID or a domain such as contoso.onmicrosoft.com').optional(),
    appClientSecret: z.string().min(1).optional(),
    /** The app's certificate and its private key as one PEM text (instead of a client secret); the key goes to the vault. */
    appCertificate: appCertificateText.optional(),
    domains: z.array(z.string().trim().toLowerCase()).default([]),
  })
  .superRefine((value, ctx) => {
    const ews = value.kind !== 'imap';
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (value.host === '' && (value.kind === 'imap' || value.kind === 'exchange')) {
      issue(
        'host',
        value.kind === 'imap'
          ? 'give the server host name, e.g. imap.contoso.com'
          : 'give the EWS or OWA URL, e.g. https://mail.contoso.com/EWS/Exchange.asmx',
      );
    }
    const imapModes = ['plain-authzid', 'login-star', 'none'];
    const ewsModes = ['delegation', 'impersonation', 'none'];
    if (!(ews ? ewsModes : imapModes).includes(value.adminMode)) {
      issue(
        'adminMode',
        `admin mode "${value.adminMode}" is for ${ews ? 'IMAP' : 'EWS'} endpoints; use one of ${(ews ? ewsModes : imapModes).join(', ')}`,
      );
    }
    if (value.kind === 'm365-group' && value.adminMode === 'impersonation') {
      issue(
        'adminMode',
        'Microsoft 365 Groups mailboxes cannot be impersonated; use delegation (make the admin an owner or member of each group)',
      );
    }
    const appAuth = value.authMechanism === 'oauth-app';
    if (appAuth && value.kind === 'imap')
      issue('authMechanism', 'oauth-app (Modern Auth client credentials) is for EWS endpoints; use xoauth2 for IMAP');
    if (appAuth && (!value.appClientId || !value.appTenantId || (!value.appClientSecret && !value.appCertificate))) {
      issue(
        'appClientId',
        'Modern Auth needs appClientId, appTenantId and either appClientSecret or appCertificate (certificate and private key, PEM) from the app registration',
      );
    }
    if (!appAuth && value.appCertificate) issue('appCertificate', 'an app certificate is for Modern Auth: set authMechanism oauth-app');
    if (value.appClientSecret && value.appCertificate) issue('appCertificate', 'give the app a client secret or a certificate, not both');
    if (value.protocol !== undefined && value.kind !== 'm365' && value.kind !== 'm365-group') {
      issue(
        'protocol',
        `only Microsoft 365 endpoints (m365, m365-group) choose a protocol; ${value.kind} endpoints speak ${value.kind === 'imap' ? 'IMAP' : 'EWS'}`,
      );
    }
    if (value.kind === 'm365-group' && value.protocol === 'graph') {
      groupGraphIssues(value, issue);
      return;
    }
    if (value.kind === 'm365' && (value.protocol ?? 'graph') === 'graph') {
      if (!appAuth) {
        issue(
          'authMechanism',
          'Microsoft Graph signs in as an app registration: set authMechanism oauth-app with appClientId, appTenantId and appClientSecret or appCertificate, or choose protocol ews',
        );
      }
      if ((value.cloud ?? 'commercial') !== 'commercial') {
        issue(
          'cloud',
          `the Graph mailbox import/export API exists in the global cloud only, not in ${value.cloud}: choose protocol ews for this endpoint`,
        );
      }
      return;
    }
    if (appAuth && value.adminMode !== 'impersonation') {
      issue('adminMode', 'an application (client credentials) reaches mailboxes only by impersonation: set adminMode to impersonation');
    }
    if (value.adminMode !== 'none' && !appAuth && (!value.adminLogin || !value.adminPassword)) {
      issue('adminLogin', `admin mode "${value.adminMode}" needs adminLogin and adminPassword`);
    }
  });
export type EndpointInput = z.infer<typeof endpointInput>;

/**
 * A Groups endpoint over Graph posts conversations as an administrator who signs in once (device
 * code): it needs the app registration's client and tenant ids, no secret (a public client).
 */
function groupGraphIssues(
  value: { appClientId?: string; appTenantId?: string; cloud?: string },
  issue: (path: string, message: string) => void,
): void {
  if (!value.appClientId || !value.appTenantId) {
    issue(
      'appClientId',
      'Groups over Microsoft Graph post as an administrator who signs in once: give appClientId and appTenantId of an app registration that allows public client flows and has the delegated permission Group.ReadWrite.All',
    );
  }
  if ((value.cloud ?? 'commercial') !== 'commercial') {
    issue(
      'cloud',
      `Mailferry posts to Groups over Microsoft Graph in the global cloud only, not in ${value.cloud}: keep protocol ews for this endpoint`,
    );
  }
}

type OptionalNoDefault<S extends z.ZodRawShape> = { [K in keyof S]: z.ZodOptional<S[K] extends z.ZodDefault<infer T> ? T : S[K]> };
/**
 * Every field optional and without its creation default: zod fills a `.default()` in even inside
 * `.partial()`, and a patch must leave an absent field as it is stored.
 */
function optionalWithoutDefaults<S extends z.ZodRawShape>(shape: S): OptionalNoDefault<S> {
  return Object.fromEntries(
    Object.entries(shape).map(([key, field]) => [key, z.optional(field instanceof z.ZodDefault ? field.unwrap() : field)]),
  ) as OptionalNoDefault<S>;
}

/**
 * What an admin may change on a saved endpoint (Edit endpoint, `mailferry endpoint edit`, and
 * the Graph/EWS switch): any field of the endpoint but its workgroup. An absent field keeps its
 * stored value, so a secret left out keeps the stored one; `port: null` goes back to the default
 * port. The endpoint as a whole is checked again once merged (services/endpoint-edit.ts).
 */
export const endpointPatch = z
  .object(optionalWithoutDefaults(endpointInput.shape))
  .omit({ workgroupId: true })
  .extend({
    port: endpointInput.shape.port.nullable(),
  })
  .strict();
export type EndpointPatch = z.infer<typeof endpointPatch>;

const DEFAULT_CONCURRENT_MIGRATIONS = 5;
/**
 * The fields of a project as an admin edits them, with no defaults: defaults belong to creation.
 * A patch built from shapes that carry `.default()` fills every absent field in (zod applies the
 * default inside `.partial()`), so saving a webhook would reset FolderFilter and concurrency.
 */
const projectFields = {
  name: z.string().trim().min(1).max(MAX_NAME_LENGTH),
  sourceEndpointId: z.string().min(1),
  destinationEndpointId: z.string().min(1),
  options: optionLines,
  maxConcurrentMigrations: z.number().int().min(1).max(MAX_CONCURRENT_MIGRATIONS),
  /** A Teams Workflows webhook URL for pass-completion cards; "" removes it. */
  teamsWebhookUrl: z
    .union([z.literal(''), z.url({ protocol: /^https?$/, message: 'must be the https URL of a Teams Workflows webhook' })])
    .optional(),
};

export const projectInput = z.object({
  ...projectFields,
  workgroupId: z.string().min(1).optional(),
  options: optionLines.default([]),
  maxConcurrentMigrations: projectFields.maxConcurrentMigrations.default(DEFAULT_CONCURRENT_MIGRATIONS),
});
export type ProjectInput = z.infer<typeof projectInput>;
/**
 * Changes exactly the fields it names. Moving a project to another workgroup is not a patch:
 * it would let a Manager of one workgroup take a project into a workgroup of their own.
 */
export const projectPatch = z
  .object({
    ...projectFields,
    /**
     * Changing an endpoint while items hold per-item passwords for the current one is refused:
     * true clears those passwords (they were entered for the old server and never go to the new one).
     */
    clearItemPasswords: z.boolean(),
    workgroupId: z
      .unknown()
      .refine(
        (value) => value === undefined,
        'a project cannot be moved to another workgroup by editing it; create the project in the workgroup it belongs to',
      ),
  })
  .partial()
  .transform(({ workgroupId: _refused, ...patch }) => patch);
export type ProjectPatch = z.infer<typeof projectPatch>;

export const itemInput = z.object({
  sourceAddress: address,
  destinationAddress: address,
  sourceLogin: z.string().trim().min(1).optional(),
  sourcePassword: z.string().min(1).optional(),
  destinationLogin: z.string().trim().min(1).optional(),
  destinationPassword: z.string().min(1).optional(),
  endUserCredentials: z.boolean().default(false),
  options: optionLines.default([]),
});
export type ItemInput = z.infer<typeof itemInput>;

/** null clears the per-item login or password (the item then uses the endpoint's admin login). */
export const itemPatch = z.object({
  destinationAddress: address.optional(),
  sourceLogin: z.string().trim().min(1).nullable().optional(),
  sourcePassword: z.string().min(1).nullable().optional(),
  destinationLogin: z.string().trim().min(1).nullable().optional(),
  destinationPassword: z.string().min(1).nullable().optional(),
  /** The end user confirms the source password from an e-mailed link. */
  endUserCredentials: z.boolean().optional(),
  options: optionLines.optional(),
});
export type ItemPatch = z.infer<typeof itemPatch>;

export const changeDomainInput = z.object({
  side: z.enum(['source', 'destination']),
  fromDomain: z.string().trim().toLowerCase().min(1),
  toDomain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain such as contoso.com'),
  itemIds: z.array(z.string()).max(MAX_ITEMS_PER_REQUEST).optional(),
});
export type ChangeDomainInput = z.infer<typeof changeDomainInput>;

export const passInput = z.object({
  kind: z.enum(PASS_KINDS as [string, ...string[]]).transform((k) => k as (typeof PASS_KINDS)[number]),
  itemIds: z.array(z.string()).max(MAX_ITEMS_PER_REQUEST).optional(),
  /** prestage: "90 days ago", "90d" or a date. */
  cutoff: z.string().optional(),
  dateFrom: z.string().optional(),
  dateTo: z.string().optional(),
  itemTypes: z
    .array(z.enum(['mail', 'contacts', 'calendar', 'tasks', 'notes', 'journal', 'rules', 'permissions']))
    .min(1)
    .default(['mail']),
  startAt: z.string().optional(),
});
export type PassInput = z.infer<typeof passInput>;

export const workgroupInput = z.object({ name: z.string().trim().min(1).max(MAX_NAME_LENGTH) });

const MAX_MEMBERS = 1_000;
export const membersInput = z.object({
  members: z
    .array(
      z.object({
        userId: z.string().trim().min(1),
        name: z.string().trim().max(MAX_NAME_LENGTH).optional(),
        role: z.enum(WORKGROUP_ROLES as [string, ...string[]]).transform((r) => r as (typeof WORKGROUP_ROLES)[number]),
      }),
    )
    .min(1)
    .max(MAX_MEMBERS),
});

export const shareInput = z.object({
  sharedWith: z.array(z.object({ userId: z.string().trim().min(1), access: z.enum(['view', 'run', 'edit']) })).max(MAX_MEMBERS),
});

export const endpointTestInput = z.object({
  /** An address, or on IMAP the mailbox's login (`src1`): EndpointChecks asks non-IMAP kinds for an address. */
  testMailbox: z.string().trim().min(1).regex(/^\S+$/, 'must be one mailbox address or login, without spaces').optional(),
  testLogin: z.string().trim().min(1).optional(),
  testPassword: z.string().min(1).optional(),
  /** Which side the endpoint is checked for: a permission only the other side needs is a warning, not a failure (Graph). */
  role: z.enum(['source', 'destination']).optional(),
});

export const discoverInput = z
  .object({
    /** false: only list what the source endpoint's admin can reach. */
    import: z.boolean().default(false),
    destinationDomain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain such as contoso.com')
      .optional(),
    /** Import only these of the discovered mailboxes (the admin's picks); all of them when absent. */
    addresses: z.array(address).max(MAX_ITEMS_PER_REQUEST).optional(),
  })
  .refine((v) => !v.import || v.destinationDomain, {
    message: 'give destinationDomain to import discovered mailboxes',
    path: ['destinationDomain'],
  })
  .refine((v) => v.import || !v.addresses, { message: 'addresses picks mailboxes to import: set import to true', path: ['addresses'] });

export const statisticsEmailInput = z.object({ to: address });

/** Parses or throws one ValidationError naming every field at fault. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    // A problem with the body as a whole (not an object, not JSON) is the body's: the UI points at the form.
    field: issue.path.join('.') || 'body',
    message: issue.code === 'invalid_type' && /received undefined/.test(issue.message) ? 'is required' : issue.message,
  }));
  throw new ValidationError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), {
    field: issues[0]?.field ?? 'body',
    // One sentence per field (its first problem), for a form to show under each field.
    fields: issues
      .filter((i, n) => issues.findIndex((j) => j.field === i.field) === n)
      .map((i) => ({ field: i.field, message: sentence(i.message) })),
  });
}

/** "is required" → "This is required."; "must be an e-mail address…" → "Must be an e-mail address…." */
function sentence(message: string): string {
  const text = message === 'is required' ? 'this is required' : message;
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;
}
