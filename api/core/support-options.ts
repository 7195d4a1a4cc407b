/**
 * Support options: the `Key=Value` advanced options admins type at project and item level
 * (../shared/DESIGN.md, "Support options"). Parsing never throws for bad input: every problem
 * comes back with the line's index and a message that says what to change, so the Teams tab can
 * point at the field. `resolveSupportOptions` is the strict entry point the engine uses.
 */
import { ValidationError } from './errors.js';
import { compileFolderPattern, type FolderPattern } from './folder-pattern.js';
import { parseOptionLine, splitMapping } from './support-option-line.js';
import { describeAddressProblem, describeDomainProblem, normalizeAddress } from './email-address.js';
import { nearestName } from './nearest-name.js';

export interface FolderMappingRule {
  pattern: FolderPattern;
  replacement: string;
}

export interface RecipientMappingRule {
  /** `@domain` or a full address, lower-cased. */
  from: string;
  to: string;
}

export interface ModernAuthOptions {
  clientIdExport?: string;
  tenantIdExport?: string;
  clientSecretExport?: string;
  clientIdImport?: string;
  tenantIdImport?: string;
  clientSecretImport?: string;
}

/** Whether a Graph destination is offered Exchange on premises' EWS export stream (see docs/endpoints.md). */
export type EwsStreamToGraph = 'try' | 'never';
export const EWS_STREAM_TO_GRAPH_VALUES: readonly EwsStreamToGraph[] = ['try', 'never'];

export interface SupportOptions {
  /** A source folder whose '/'-joined path matches any of these is excluded. */
  folderFilters: FolderPattern[];
  /** Applied in order to the '/'-joined source path; the first rule whose pattern matches wins. */
  folderMappings: FolderMappingRule[];
  recipientMappings: RecipientMappingRule[];
  /**
   * `"` in destination folder names: `true` keeps it, `false` replaces it with `'`; absent (the
   * default) keeps it and replaces it only for a folder the destination refuses to create.
   */
  allowQuoteInFolder?: boolean;
  maxItemSizeBytes?: number;
  maxErrors: number;
  connectionsPerMailbox: number;
  pipelineDepth: number;
  /** EWS requests in flight per mailbox; the connector's default (10) when absent. */
  ewsRequestsInFlight?: number;
  /** Seconds an IMAP server may send nothing while it owes an answer; the connector's default (120) when absent. */
  imapStallSeconds?: number;
  /** Exchange on premises → Exchange Online over Graph: try the EWS export stream first (default), or MIME only. */
  ewsStreamToGraph: EwsStreamToGraph;
  modernAuth: ModernAuthOptions;
}

export interface OptionProblem {
  /** 0-based index of the line in the list given. */
  index: number;
  /** Canonical key, when the line named a known option. */
  key?: string;
  /** Where the UI should point, e.g. `options[2]`. */
  field: string;
  message: string;
}

/** What a secret looks like on read, and what an admin sends back when leaving it unchanged. */
export const MASKED_SECRET = '********';
export const DEFAULT_MAX_ERRORS = 100;
export const DEFAULT_CONNECTIONS_PER_MAILBOX = 1;
/** More parallel logins per mailbox trip per-user throttling on Exchange Online and most IMAP servers. */
export const MAX_CONNECTIONS_PER_MAILBOX = 10;
export const DEFAULT_PIPELINE_DEPTH = 32;
/** Commands in flight per connection; beyond this servers buffer rather than go faster. */
export const MAX_PIPELINE_DEPTH = 256;
/** Exchange 2013+ and Exchange Online refuse more concurrent EWS requests per account (EWSMaxConcurrency). */
export const MAX_EWS_REQUESTS_IN_FLIGHT = 27;
/** An hour of silence is no longer a slow server. */
export const MAX_IMAP_STALL_SECONDS = 3600;

export const DEFAULT_SUPPORT_OPTIONS: Readonly<SupportOptions> = Object.freeze({
  folderFilters: Object.freeze([]) as unknown as FolderPattern[],
  folderMappings: Object.freeze([]) as unknown as FolderMappingRule[],
  recipientMappings: Object.freeze([]) as unknown as RecipientMappingRule[],
  maxErrors: DEFAULT_MAX_ERRORS,
  connectionsPerMailbox: DEFAULT_CONNECTIONS_PER_MAILBOX,
  pipelineDepth: DEFAULT_PIPELINE_DEPTH,
  ewsStreamToGraph: 'try',
  modernAuth: Object.freeze({}),
});

/** Options as one list sets them: scalars stay undefined when the list does not mention them. */
type Defaulted = 'maxErrors' | 'connectionsPerMailbox' | 'pipelineDepth' | 'ewsStreamToGraph';
type OptionsPatch = Omit<SupportOptions, Defaulted> & Partial<Pick<SupportOptions, Defaulted>>;

/** Reads one value into the patch; returns what is wrong instead when the value is unusable. */
type ApplyValue = (value: string, into: OptionsPatch) => string | undefined;

interface KeySpec {
  repeatable: boolean;
  secret: boolean;
  apply: ApplyValue;
}

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Keys nobody declared but that plainly hold a secret are masked too, so a typo never leaks one. */
const SECRET_NAME_PATTERN = /secret|password|passwd|token/i;

export type SupportOptionKey =
  | 'FolderFilter'
  | 'FolderMapping'
  | 'RecipientMapping'
  | 'AllowQuoteInFolder'
  | 'MaxItemSizeBytes'
  | 'MaxErrors'
  | 'ConnectionsPerMailbox'
  | 'PipelineDepth'
  | 'EwsRequestsInFlight'
  | 'EwsStreamToGraph'
  | 'ImapStallSeconds'
  | 'ModernAuthClientIdExport'
  | 'ModernAuthTenantIdExport'
  | 'ModernAuthClientSecretExport'
  | 'ModernAuthClientIdImport'
  | 'ModernAuthTenantIdImport'
  | 'ModernAuthClientSecretImport';

const KEY_SPECS: Record<SupportOptionKey, KeySpec> = {
  FolderFilter: { repeatable: true, secret: false, apply: applyFolderFilter },
  FolderMapping: { repeatable: true, secret: false, apply: applyFolderMapping },
  RecipientMapping: { repeatable: true, secret: false, apply: applyRecipientMapping },
  AllowQuoteInFolder: { repeatable: false, secret: false, apply: applyAllowQuote },
  MaxItemSizeBytes: {
    repeatable: false,
    secret: false,
    apply: integerOption(
      'MaxItemSizeBytes',
      1,
      Number.MAX_SAFE_INTEGER,
      (n, into) => (into.maxItemSizeBytes = n),
      'a whole number of bytes, e.g. 157286400 for 150 MB (suffixes such as MB are not accepted)',
    ),
  },
  MaxErrors: {
    repeatable: false,
    secret: false,
    apply: integerOption('MaxErrors', 0, Number.MAX_SAFE_INTEGER, (n, into) => (into.maxErrors = n), 'a whole number'),
  },
  ConnectionsPerMailbox: {
    repeatable: false,
    secret: false,
    apply: integerOption(
      'ConnectionsPerMailbox',
      1,
      MAX_CONNECTIONS_PER_MAILBOX,
      (n, into) => (into.connectionsPerMailbox = n),
      'a whole number',
    ),
  },
  PipelineDepth: {
    repeatable: false,
    secret: false,
    apply: integerOption('PipelineDepth', 1, MAX_PIPELINE_DEPTH, (n, into) => (into.pipelineDepth = n), 'a whole number'),
  },
  EwsRequestsInFlight: {
    repeatable: false,
    secret: false,
    apply: integerOption(
      'EwsRequestsInFlight',
      1,
      MAX_EWS_REQUESTS_IN_FLIGHT,
      (n, into) => (into.ewsRequestsInFlight = n),
      `a whole number up to ${MAX_EWS_REQUESTS_IN_FLIGHT} (Exchange's EWSMaxConcurrency per account)`,
    ),
  },
  EwsStreamToGraph: { repeatable: false, secret: false, apply: applyEwsStreamToGraph },
  ImapStallSeconds: {
    repeatable: false,
    secret: false,
    apply: integerOption(
      'ImapStallSeconds',
      1,
      MAX_IMAP_STALL_SECONDS,
      (n, into) => (into.imapStallSeconds = n),
      'a whole number of seconds',
    ),
  },
  ModernAuthClientIdExport: { repeatable: false, secret: false, apply: modernAuthId('ModernAuthClientIdExport', 'clientIdExport') },
  ModernAuthTenantIdExport: { repeatable: false, secret: false, apply: modernAuthTenant('ModernAuthTenantIdExport', 'tenantIdExport') },
  ModernAuthClientSecretExport: {
    repeatable: false,
    secret: true,
    apply: modernAuthSecret('ModernAuthClientSecretExport', 'clientSecretExport'),
  },
  ModernAuthClientIdImport: { repeatable: false, secret: false, apply: modernAuthId('ModernAuthClientIdImport', 'clientIdImport') },
  ModernAuthTenantIdImport: { repeatable: false, secret: false, apply: modernAuthTenant('ModernAuthTenantIdImport', 'tenantIdImport') },
  ModernAuthClientSecretImport: {
    repeatable: false,
    secret: true,
    apply: modernAuthSecret('ModernAuthClientSecretImport', 'clientSecretImport'),
  },
};

export const SUPPORT_OPTION_KEYS = Object.keys(KEY_SPECS) as SupportOptionKey[];

const KEYS_BY_LOWER_CASE = new Map<string, SupportOptionKey>(SUPPORT_OPTION_KEYS.map((key) => [key.toLowerCase(), key]));

/** The canonical spelling of a known key, matched case-insensitively. */
export function canonicalOptionKey(key: string): SupportOptionKey | undefined {
  return KEYS_BY_LOWER_CASE.get(key.trim().toLowerCase());
}

export function parseSupportOptions(lines: string[], field = 'options'): { options: SupportOptions; problems: OptionProblem[] } {
  const { patch, problems } = parsePatch(lines, field);
  return { options: withDefaults(patch), problems };
}

/**
 * Project options overlaid with one item's options. Item scalars win; repeatable options combine
 * with the item's rules first, so an item-level FolderMapping is tried before the project's.
 */
export function resolveSupportOptions(projectLines: string[], itemLines: string[]): SupportOptions {
  const project = parsePatch(projectLines, 'project.options');
  const item = parsePatch(itemLines, 'item.options');
  const problems = [
    ...project.problems.map((p) => `project support options, line ${p.index + 1}: ${p.message}`),
    ...item.problems.map((p) => `item support options, line ${p.index + 1}: ${p.message}`),
  ];
  if (problems.length > 0) {
    throw new ValidationError(`Support options need fixing: ${problems.join('; ')}`, { field: 'options' });
  }
  const p = project.patch;
  const i = item.patch;
  return withDefaults({
    folderFilters: [...i.folderFilters, ...p.folderFilters],
    folderMappings: [...i.folderMappings, ...p.folderMappings],
    recipientMappings: [...i.recipientMappings, ...p.recipientMappings],
    allowQuoteInFolder: i.allowQuoteInFolder ?? p.allowQuoteInFolder,
    maxItemSizeBytes: i.maxItemSizeBytes ?? p.maxItemSizeBytes,
    maxErrors: i.maxErrors ?? p.maxErrors,
    connectionsPerMailbox: i.connectionsPerMailbox ?? p.connectionsPerMailbox,
    pipelineDepth: i.pipelineDepth ?? p.pipelineDepth,
    ewsRequestsInFlight: i.ewsRequestsInFlight ?? p.ewsRequestsInFlight,
    imapStallSeconds: i.imapStallSeconds ?? p.imapStallSeconds,
    ewsStreamToGraph: i.ewsStreamToGraph ?? p.ewsStreamToGraph,
    modernAuth: { ...p.modernAuth, ...i.modernAuth },
  });
}

/** The lines as an admin may read them back: every secret value replaced by `********`. */
export function maskSupportOptions(lines: string[]): string[] {
  return lines.map((line) => {
    const parsed = parseOptionLine(line);
    // A secret line with a quoting mistake is masked too: its raw text still holds the secret.
    if (parsed.key === undefined || !isSecretKey(parsed.key)) return line;
    return `${canonicalOptionKey(parsed.key) ?? parsed.key}=${MASKED_SECRET}`;
  });
}

/**
 * The lines to store when an admin saves options they read masked: a secret sent back as
 * `********` keeps the stored value; any other line is taken as sent. A masked secret with no
 * stored value stays masked, and parsing then asks for the secret.
 */
export function mergeMaskedUpdate(previous: string[], incoming: string[]): string[] {
  const storedSecrets = new Map<string, string>();
  for (const line of previous) {
    const parsed = parseOptionLine(line);
    if (parsed.value === undefined || !isSecretKey(parsed.key) || parsed.value === MASKED_SECRET) continue;
    const lowerKey = parsed.key.toLowerCase();
    if (!storedSecrets.has(lowerKey)) storedSecrets.set(lowerKey, line);
  }
  return incoming.map((line) => {
    const parsed = parseOptionLine(line);
    if (parsed.value !== MASKED_SECRET) return line;
    return storedSecrets.get(parsed.key.toLowerCase()) ?? line;
  });
}

/** Whether a line's key holds a secret: a declared secret option, or an unknown key named like one. */
export function isSecretOptionKey(key: string): boolean {
  return isSecretKey(key);
}

function isSecretKey(key: string): boolean {
  const known = canonicalOptionKey(key);
  return known ? KEY_SPECS[known].secret : SECRET_NAME_PATTERN.test(key);
}

function parsePatch(lines: string[], field: string): { patch: OptionsPatch; problems: OptionProblem[] } {
  const patch = emptyPatch();
  const problems: OptionProblem[] = [];
  const firstIndexByKey = new Map<SupportOptionKey, number>();
  for (const [index, line] of lines.entries()) {
    const report = (message: string, key?: string): void => {
      problems.push({ index, ...(key === undefined ? {} : { key }), field: `${field}[${index}]`, message });
    };
    // The tab's "+" adds blank fields; an empty one is not a mistake worth reporting.
    if (line.trim() === '') continue;
    const parsed = parseOptionLine(line);
    if (parsed.key === undefined) {
      report(parsed.problem);
      continue;
    }
    const key = canonicalOptionKey(parsed.key);
    if (key === undefined) {
      report(unknownKeyMessage(parsed.key));
      continue;
    }
    const spec = KEY_SPECS[key];
    if (parsed.problem !== undefined) {
      report(`${key}: ${parsed.problem}`, key);
      continue;
    }
    const first = firstIndexByKey.get(key);
    const duplicate = first !== undefined && !spec.repeatable;
    // A repeated single-valued key is still checked (into a scratch patch) so a bad value is reported as such.
    const problem = spec.apply(parsed.value, duplicate ? emptyPatch() : patch);
    if (problem !== undefined) {
      report(problem, key);
      continue;
    }
    if (duplicate) {
      report(`${key} is already set on line ${first + 1} and takes one value; remove one of the two lines.`, key);
      continue;
    }
    if (first === undefined) firstIndexByKey.set(key, index);
  }
  return { patch, problems };
}

function emptyPatch(): OptionsPatch {
  return { folderFilters: [], folderMappings: [], recipientMappings: [], modernAuth: {} };
}

function withDefaults(patch: OptionsPatch): SupportOptions {
  const options: SupportOptions = {
    folderFilters: [...patch.folderFilters],
    folderMappings: [...patch.folderMappings],
    recipientMappings: [...patch.recipientMappings],
    maxErrors: patch.maxErrors ?? DEFAULT_SUPPORT_OPTIONS.maxErrors,
    connectionsPerMailbox: patch.connectionsPerMailbox ?? DEFAULT_SUPPORT_OPTIONS.connectionsPerMailbox,
    pipelineDepth: patch.pipelineDepth ?? DEFAULT_SUPPORT_OPTIONS.pipelineDepth,
    ewsStreamToGraph: patch.ewsStreamToGraph ?? DEFAULT_SUPPORT_OPTIONS.ewsStreamToGraph,
    modernAuth: { ...patch.modernAuth },
  };
  if (patch.allowQuoteInFolder !== undefined) options.allowQuoteInFolder = patch.allowQuoteInFolder;
  if (patch.maxItemSizeBytes !== undefined) options.maxItemSizeBytes = patch.maxItemSizeBytes;
  if (patch.ewsRequestsInFlight !== undefined) options.ewsRequestsInFlight = patch.ewsRequestsInFlight;
  if (patch.imapStallSeconds !== undefined) options.imapStallSeconds = patch.imapStallSeconds;
  return options;
}

function unknownKeyMessage(key: string): string {
  const nearest = nearestName(key, SUPPORT_OPTION_KEYS);
  const hint = nearest ? ` Did you mean ${nearest}?` : '';
  return `"${key}" is not a support option Mailferry knows.${hint} Known options: ${SUPPORT_OPTION_KEYS.join(', ')}.`;
}

function applyFolderFilter(value: string, into: OptionsPatch): string | undefined {
  const pattern = compileFolderPattern('FolderFilter', value);
  if (typeof pattern === 'string') return pattern;
  into.folderFilters.push(pattern);
  return undefined;
}

function applyFolderMapping(value: string, into: OptionsPatch): string | undefined {
  const sides = splitMapping(value);
  if (!sides)
    return `FolderMapping needs the form "<regex>-><replacement>", e.g. FolderMapping="^INBOX/Archive->Archive"; "->" is missing.`;
  const pattern = compileFolderPattern('FolderMapping', sides.from);
  if (typeof pattern === 'string') return pattern;
  const groups = pattern.groupCount;
  for (const match of sides.to.matchAll(/\$(\d+)/g)) {
    const group = Number(match[1]);
    if (group > groups) {
      return `FolderMapping replacement "${sides.to}" uses $${group} but the regular expression "${sides.from}" has ${groups} capture group(s).`;
    }
  }
  into.folderMappings.push({ pattern, replacement: sides.to });
  return undefined;
}

function applyRecipientMapping(value: string, into: OptionsPatch): string | undefined {
  const example = 'e.g. RecipientMapping="@source.com->@destination.com" or "bob@source.com->robert@destination.com"';
  const sides = splitMapping(value);
  if (!sides) return `RecipientMapping needs the form "<from>-><to>", ${example}.`;
  const from = sides.from.trim();
  const to = sides.to.trim();
  const fromProblem = describeMappingSide(from);
  if (fromProblem) return `RecipientMapping: the left side ${fromProblem}; ${example}.`;
  const toProblem = describeMappingSide(to);
  if (toProblem) return `RecipientMapping: the right side ${toProblem}; ${example}.`;
  if (from.startsWith('@') !== to.startsWith('@')) {
    return `RecipientMapping maps a domain to a domain or an address to an address; "${from}" and "${to}" mix the two, ${example}.`;
  }
  into.recipientMappings.push({ from: normalizeAddress(from).toLowerCase(), to: normalizeAddress(to).toLowerCase() });
  return undefined;
}

function describeMappingSide(side: string): string | undefined {
  if (side.startsWith('@')) {
    const problem = describeDomainProblem(side.slice(1));
    return problem && `"${side}" is not a usable @domain: ${problem}`;
  }
  const problem = describeAddressProblem(side);
  return problem && `"${side}" is neither an @domain nor an address: ${problem}`;
}

function applyEwsStreamToGraph(value: string, into: OptionsPatch): string | undefined {
  const choice = EWS_STREAM_TO_GRAPH_VALUES.find((v) => v === value.trim().toLowerCase());
  if (!choice) {
    return `EwsStreamToGraph takes try (offer Exchange Online the EWS export stream first, MIME after a refusal) or never (mail as MIME only), not "${value}".`;
  }
  into.ewsStreamToGraph = choice;
  return undefined;
}

function applyAllowQuote(value: string, into: OptionsPatch): string | undefined {
  if (value !== '1' && value !== '0') return `AllowQuoteInFolder takes 1 (keep ") or 0 (replace " with '), not "${value}".`;
  into.allowQuoteInFolder = value === '1';
  return undefined;
}

function integerOption(
  key: SupportOptionKey,
  min: number,
  max: number,
  set: (value: number, into: OptionsPatch) => void,
  what: string,
): ApplyValue {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return (value, into) => {
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      return `${key} must be ${what} ${range}, not "${value}".`;
    }
    set(parsed, into);
    return undefined;
  };
}

function modernAuthId(key: SupportOptionKey, field: 'clientIdExport' | 'clientIdImport'): ApplyValue {
  return (value, into) => {
    if (!GUID_PATTERN.test(value)) {
      return `${key} must be the application (client) ID from Entra ID, a GUID like 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b, not "${value}".`;
    }
    into.modernAuth[field] = value.toLowerCase();
    return undefined;
  };
}

function modernAuthTenant(key: SupportOptionKey, field: 'tenantIdExport' | 'tenantIdImport'): ApplyValue {
  return (value, into) => {
    // Entra ID accepts the tenant's GUID or one of its verified domains (contoso.onmicrosoft.com).
    if (!GUID_PATTERN.test(value) && describeDomainProblem(value) !== undefined) {
      return `${key} must be the directory (tenant) ID, a GUID, or the tenant's domain such as contoso.onmicrosoft.com, not "${value}".`;
    }
    into.modernAuth[field] = value.toLowerCase();
    return undefined;
  };
}

/** Messages about a secret never repeat its value. */
function modernAuthSecret(key: SupportOptionKey, field: 'clientSecretExport' | 'clientSecretImport'): ApplyValue {
  return (value, into) => {
    if (value === '') return `${key} needs the client secret's value.`;
    if (value === MASKED_SECRET)
      return `${key} is still masked (${MASKED_SECRET}) and no secret is stored for it; type the client secret again.`;
    into.modernAuth[field] = value;
    return undefined;
  };
}
