/**
 * The Create project wizard as data: which step comes next, what blocks it, and the request
 * bodies it sends. Kept free of React so the rules are tested without a browser.
 */
import type {
  AdminMode,
  Endpoint,
  EndpointKind,
  EwsAdminMode,
  ImapAdminMode,
  ImapSecurity as Security,
  M365Cloud,
  M365Protocol,
} from '../../../api/core/model';
import type { PublicEndpoint, ValidationResult } from '../api/types';
import { groupsGraphInput, groupsGraphProblems, groupsOverGraph } from './groups-graph';

export type WizardStep = 'name' | 'source' | 'destination' | 'review';
export const WIZARD_STEPS: readonly { id: WizardStep; title: string }[] = [
  { id: 'name', title: 'Name' },
  { id: 'source', title: 'Source endpoint' },
  { id: 'destination', title: 'Destination endpoint' },
  { id: 'review', title: 'Review and create' },
];

// The API's own types (type-only: nothing of the server is bundled), so the console cannot drift from them.
export type { AdminMode, EndpointKind, EwsAdminMode, ImapAdminMode, M365Cloud, M365Protocol, Security };
export type AuthMechanism = NonNullable<Endpoint['authMechanism']>;

export const ENDPOINT_KIND_LABELS: Record<EndpointKind, string> = {
  imap: 'IMAP',
  exchange: 'Exchange Server 2007+ / hosted Exchange (EWS)',
  m365: 'Microsoft 365 (Exchange Online)',
  'm365-group': 'Microsoft 365 Groups',
};
export const CLOUD_LABELS: Record<M365Cloud, string> = {
  commercial: 'Commercial (worldwide)',
  china: '21Vianet (China)',
  germany: 'Germany',
  'usgov-gcchigh': 'US Government GCC High',
  'usgov-dod': 'US Government DoD',
};
export const IMAP_ADMIN_MODES: readonly ImapAdminMode[] = ['none', 'plain-authzid', 'login-star'];
export const EWS_ADMIN_MODES: readonly EwsAdminMode[] = ['delegation', 'impersonation', 'none'];

/** The endpoint schema's fields as the form holds them (strings until sent). */
export interface EndpointDraft {
  name: string;
  kind: EndpointKind;
  /** IMAP: host name. Exchange: EWS or OWA URL (or server name). Microsoft 365 kinds: optional EWS URL override. */
  host: string;
  port: string;
  security: Security;
  allowSelfSigned: boolean;
  adminMode: AdminMode;
  adminLogin: string;
  adminPassword: string;
  authMechanism: AuthMechanism;
  cloud: M365Cloud;
  appClientId: string;
  appTenantId: string;
  appClientSecret: string;
  /** How the app proves itself: a client secret, or a certificate with its private key (PEM). */
  appCredential: 'secret' | 'certificate';
  appCertificate: string;
  /** Microsoft 365 kinds: Exchange Online (Graph by default) and Groups (EWS by default; Graph posts conversations). */
  protocol: M365Protocol;
  domains: string;
}

export interface EndpointChoice {
  mode: 'existing' | 'new';
  /** The chosen endpoint; a new one becomes "existing" once saved so a second save never duplicates it. */
  endpointId: string;
  draft: EndpointDraft;
  testMailbox: string;
  /** An endpoint without admin access is checked by logging in as a user: these two, never saved. */
  testLogin: string;
  testPassword: string;
  /** The last "Save and Go to Summary" answer for `endpointId`. */
  summary?: ValidationResult;
  /** The endpoint this step saved from `draft`: checked again, not saved again, while the draft is unchanged. */
  created?: { id: string; draft: EndpointDraft };
}

/**
 * What "Save and Go to Summary" does with a new endpoint: save it once, then re-check the same
 * one while the draft is unchanged (a failed check used to save a copy on every retry); a changed
 * draft replaces the endpoint this step saved before, which no project uses yet.
 */
export function newEndpointPlan(choice: EndpointChoice): { reuseId?: string; replaceId?: string } {
  if (!choice.created) return {};
  const unchanged = JSON.stringify(choice.created.draft) === JSON.stringify(choice.draft);
  return unchanged ? { reuseId: choice.created.id } : { replaceId: choice.created.id };
}

export interface WizardState {
  step: WizardStep;
  name: string;
  source: EndpointChoice;
  destination: EndpointChoice;
}

export const emptyDraft = (): EndpointDraft => ({
  name: '',
  kind: 'imap',
  host: '',
  port: '',
  security: 'tls',
  allowSelfSigned: false,
  adminMode: 'none',
  adminLogin: '',
  adminPassword: '',
  authMechanism: 'password',
  cloud: 'commercial',
  appClientId: '',
  appTenantId: '',
  appClientSecret: '',
  appCredential: 'secret',
  appCertificate: '',
  protocol: 'graph',
  domains: '',
});
const emptyChoice = (): EndpointChoice => ({
  mode: 'existing',
  endpointId: '',
  draft: emptyDraft(),
  testMailbox: '',
  testLogin: '',
  testPassword: '',
});
export const initialWizard = (): WizardState => ({ step: 'name', name: '', source: emptyChoice(), destination: emptyChoice() });

const MAX_PORT = 65_535;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isEws = (kind: EndpointKind): boolean => kind !== 'imap';
export const isM365 = (kind: EndpointKind): boolean => kind === 'm365' || kind === 'm365-group';

/** Admin modes the kind accepts, in the order the form offers them. Groups mailboxes cannot be impersonated. */
export function adminModesFor(kind: EndpointKind): readonly AdminMode[] {
  if (kind === 'imap') return IMAP_ADMIN_MODES;
  return kind === 'm365-group' ? EWS_ADMIN_MODES.filter((m) => m !== 'impersonation') : EWS_ADMIN_MODES;
}

/** Modern Auth (client credentials) reaches mailboxes only by impersonation, which Groups mailboxes refuse. */
export const modernAuthAllowed = (kind: EndpointKind): boolean => kind === 'm365';

/** Exchange Online over Microsoft Graph: what the form asks for and what it leaves out. */
export const speaksGraph = (draft: Pick<EndpointDraft, 'kind' | 'protocol'>): boolean =>
  draft.kind === 'm365' && draft.protocol === 'graph';

/**
 * Graph signs in only as an app registration, in the global cloud, at Microsoft's own address;
 * EWS starts with an admin login and Delegation, as before the choice existed.
 */
export function withProtocol(draft: EndpointDraft, protocol: M365Protocol): EndpointDraft {
  return protocol === 'graph'
    ? { ...draft, protocol, authMechanism: 'oauth-app', adminMode: 'impersonation', cloud: 'commercial', host: '' }
    : { ...draft, protocol, authMechanism: 'password', adminMode: 'delegation' };
}

/** A new kind keeps what still fits and resets the rest to the kind's defaults (EWS: delegation; Microsoft 365: Graph). */
export function withKind(draft: EndpointDraft, kind: EndpointKind): EndpointDraft {
  if (kind === 'm365' && draft.kind !== 'm365') return withProtocol({ ...draft, kind }, draft.protocol);
  // A Groups endpoint starts on EWS, the faithful path; Graph's conversation posts are the admin's choice.
  const next = { ...draft, kind, ...(kind === 'm365-group' && draft.kind !== 'm365-group' ? { protocol: 'ews' as const } : {}) };
  if (isEws(draft.kind) !== isEws(kind) || !adminModesFor(kind).includes(next.adminMode))
    next.adminMode = kind === 'imap' ? 'none' : 'delegation';
  if (next.authMechanism === 'xoauth2' && isEws(kind)) next.authMechanism = 'password';
  if (next.authMechanism === 'oauth-app' && !modernAuthAllowed(kind)) {
    next.authMechanism = 'password';
    next.adminMode = adminModesFor(kind)[0]!;
  }
  return next;
}

/** Modern Auth forces impersonation; back to a login keeps impersonation (the admin may still want it). */
export function withSignIn(draft: EndpointDraft, signIn: 'password' | 'oauth-app'): EndpointDraft {
  return signIn === 'oauth-app'
    ? { ...draft, authMechanism: 'oauth-app', adminMode: 'impersonation' }
    : { ...draft, authMechanism: 'password' };
}

/** An http(s) URL, for the fields that must be one. */
function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * Field → what to fix, for the new-endpoint form; empty when it can be saved. The rules are the
 * endpoint schema's (api/core/schemas.ts `endpointInput`), per kind, in the admin's words.
 */
export function draftProblems(draft: EndpointDraft): Record<string, string> {
  if (groupsOverGraph(draft)) return groupsGraphProblems(draft);
  const problems: Record<string, string> = {};
  const host = draft.host.trim();
  const appAuth = draft.authMechanism === 'oauth-app';
  if (!draft.name.trim())
    problems.name = `Give the endpoint a name, e.g. "${draft.kind === 'imap' ? 'Old IMAP server' : 'Contoso Exchange'}".`;
  if (draft.kind === 'imap') {
    if (!host) problems.host = 'Give the server host name, e.g. imap.contoso.com.';
    if (draft.port.trim()) {
      const port = Number(draft.port);
      if (!Number.isInteger(port) || port < 1 || port > MAX_PORT) problems.port = `Port must be a whole number from 1 to ${MAX_PORT}.`;
    }
  } else if (draft.kind === 'exchange') {
    if (!host) problems.host = 'Give the EWS or OWA URL, e.g. https://mail.contoso.com/EWS/Exchange.asmx or https://mail.contoso.com/owa.';
    else if (host.includes('://') && !isHttpUrl(host))
      problems.host = 'Give an https:// address, e.g. https://mail.contoso.com/EWS/Exchange.asmx.';
    else if (!host.includes('://') && !/^[a-z0-9.-]+(:\d+)?(\/.*)?$/i.test(host))
      problems.host = 'Give the EWS or OWA URL or the server name, e.g. mail.contoso.com.';
  } else if (host && !isHttpUrl(host)) {
    problems.host = speaksGraph(draft)
      ? 'Leave empty for Microsoft Graph.'
      : "Leave empty for the cloud's own EWS address, or give a full https:// EWS URL.";
  }
  if (speaksGraph(draft) && !appAuth)
    problems.authMechanism =
      'Microsoft Graph signs in as an app registration: give its application id, tenant id and a client secret, or choose EWS.';
  if (speaksGraph(draft) && draft.cloud !== 'commercial')
    problems.cloud = 'The Graph mailbox import/export API exists in the worldwide cloud only: choose EWS for this cloud.';
  if (!adminModesFor(draft.kind).includes(draft.adminMode)) {
    problems.adminMode =
      draft.kind === 'm365-group' && draft.adminMode === 'impersonation'
        ? 'Groups mailboxes cannot be impersonated: use Delegation (make the admin an owner or member of each group).'
        : 'Choose one of the admin access modes offered for this kind.';
  }
  if (appAuth) {
    if (!modernAuthAllowed(draft.kind))
      problems.authMechanism = 'Modern Auth app registrations are for Microsoft 365 (Exchange Online) endpoints.';
    if (!GUID.test(draft.appClientId.trim()))
      problems.appClientId =
        'Give the Application (client) ID from the app registration: a GUID such as 00000000-0000-0000-0000-000000000000.';
    if (!draft.appTenantId.trim()) problems.appTenantId = 'Give the Directory (tenant) ID or a domain such as contoso.onmicrosoft.com.';
    if (draft.appCredential === 'secret' && !draft.appClientSecret)
      problems.appClientSecret = 'Give a client secret of the app registration.';
    if (draft.appCredential === 'certificate') {
      const pem = draft.appCertificate;
      if (!pem.includes('-----BEGIN CERTIFICATE-----'))
        problems.appCertificate =
          'Paste the certificate uploaded to the app registration (-----BEGIN CERTIFICATE----- …) with its private key.';
      else if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem))
        problems.appCertificate =
          'Paste the private key too (-----BEGIN PRIVATE KEY----- …), without a passphrase: Mailferry signs in with it.';
    }
    if (draft.adminMode !== 'impersonation') problems.adminMode = 'An app registration reaches mailboxes only by impersonation.';
  } else if (draft.adminMode !== 'none') {
    if (!draft.adminLogin.trim()) problems.adminLogin = 'This admin access needs the admin login.';
    if (!draft.adminPassword) problems.adminPassword = 'This admin access needs the admin password.';
  }
  return problems;
}

const domainList = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);

/** The app's secret or its certificate and key, whichever the admin chose. */
function appCredentialInput(draft: EndpointDraft): { appClientSecret: string } | { appCertificate: string } {
  return draft.appCredential === 'certificate'
    ? { appCertificate: draft.appCertificate.trim() }
    : { appClientSecret: draft.appClientSecret };
}

/** The POST /endpoints body for the draft's kind: only the fields that kind uses. */
export function draftToInput(draft: EndpointDraft) {
  if (groupsOverGraph(draft)) return groupsGraphInput(draft);
  const appAuth = draft.authMechanism === 'oauth-app';
  const admin = !appAuth && draft.adminMode !== 'none' ? { adminLogin: draft.adminLogin.trim(), adminPassword: draft.adminPassword } : {};
  const common = { name: draft.name.trim(), kind: draft.kind, host: draft.host.trim() };
  if (draft.kind === 'imap') {
    return {
      ...common,
      ...(draft.port.trim() ? { port: Number(draft.port) } : {}),
      security: draft.security,
      allowSelfSigned: draft.allowSelfSigned,
      adminMode: draft.adminMode,
      ...admin,
      authMechanism: draft.authMechanism,
      domains: domainList(draft.domains),
    };
  }
  if (draft.kind === 'exchange') {
    return {
      ...common,
      allowSelfSigned: draft.allowSelfSigned,
      adminMode: draft.adminMode,
      ...admin,
      authMechanism: 'password' as const,
      domains: domainList(draft.domains),
    };
  }
  return {
    ...common,
    cloud: draft.cloud,
    ...(draft.kind === 'm365' ? { protocol: draft.protocol } : {}),
    adminMode: appAuth ? ('impersonation' as const) : draft.adminMode,
    ...admin,
    authMechanism: appAuth ? ('oauth-app' as const) : ('password' as const),
    ...(appAuth ? { appClientId: draft.appClientId.trim(), appTenantId: draft.appTenantId.trim(), ...appCredentialInput(draft) } : {}),
    domains: domainList(draft.domains),
  };
}

/** How an endpoint is named in lists: its name, then where it points (a Microsoft 365 endpoint may have no host). */
export function endpointLabel(endpoint: Pick<PublicEndpoint, 'name' | 'kind' | 'host' | 'port' | 'cloud'>): string {
  const where = endpoint.host
    ? `${endpoint.host}${endpoint.port ? `:${endpoint.port}` : ''}`
    : `${ENDPOINT_KIND_LABELS[endpoint.kind]}${endpoint.cloud && endpoint.cloud !== 'commercial' ? `, ${CLOUD_LABELS[endpoint.cloud]}` : ''}`;
  return `${endpoint.name} (${where})`;
}

/**
 * Whether the chosen or drafted endpoint reaches mailboxes without an admin: then "Save and Go to
 * Summary" can only check a user's login, so the step asks for a test login and password.
 */
export function checksAsUser(
  choice: EndpointChoice,
  endpoints: readonly Pick<PublicEndpoint, 'id' | 'adminMode' | 'authMechanism'>[],
): boolean {
  const endpoint = choice.mode === 'new' ? choice.draft : endpoints.find((e) => e.id === choice.endpointId);
  return !!endpoint && endpoint.adminMode === 'none' && endpoint.authMechanism !== 'oauth-app';
}

const SECURITY_WORDS: Record<Security, string> = {
  tls: 'TLS (encrypted from the start)',
  starttls: 'STARTTLS',
  none: 'None (passwords travel unencrypted)',
};
const ADMIN_WORDS: Record<AdminMode, string> = {
  none: 'None: each mailbox logs in with its own login',
  'plain-authzid': 'Master user (SASL PLAIN authzid)',
  'login-star': 'Master user (login*master)',
  delegation: 'Delegation (FullAccess)',
  impersonation: 'Impersonation',
};

/** What the Review step lists for an endpoint: where it is, how it is secured, who logs in. */
export function endpointFacts(
  e: Pick<PublicEndpoint, 'kind' | 'host' | 'port' | 'security' | 'adminMode' | 'adminLogin' | 'authMechanism' | 'cloud'>,
): [string, string][] {
  const facts: [string, string][] = [['Kind', ENDPOINT_KIND_LABELS[e.kind]]];
  if (e.kind === 'imap') {
    const security = e.security ?? 'tls';
    facts.push(['Host', e.host], ['Port', String(e.port ?? (security === 'tls' ? 993 : 143))], ['Encryption', SECURITY_WORDS[security]]);
  } else {
    facts.push([e.kind === 'exchange' ? 'EWS URL' : 'Address', e.host || (e.cloud ? CLOUD_LABELS[e.cloud] : CLOUD_LABELS.commercial)]);
  }
  facts.push([
    'Admin access',
    e.authMechanism === 'oauth-app'
      ? 'App registration (Modern Auth)'
      : `${ADMIN_WORDS[e.adminMode]}${e.adminLogin ? `, as ${e.adminLogin}` : ''}`,
  ]);
  return facts;
}

/** The POST /endpoints/{id}/validate body: a test mailbox for an admin, or a test login and password for a user; all optional. */
export function validateBody(choice: EndpointChoice, asUser = false): { testMailbox?: string; testLogin?: string; testPassword?: string } {
  if (asUser) {
    const login = choice.testLogin.trim();
    return login && choice.testPassword ? { testLogin: login, testPassword: choice.testPassword } : {};
  }
  const mailbox = choice.testMailbox.trim();
  return mailbox ? { testMailbox: mailbox } : {};
}

/**
 * Entering an endpoint step: with no endpoint to reuse (none yet, or only the source's), the step
 * opens on "Create a new endpoint" rather than on an empty list.
 */
export function enterStep(state: WizardState, endpoints: readonly Pick<PublicEndpoint, 'id'>[]): WizardState {
  const step = state.step;
  if (step !== 'source' && step !== 'destination') return state;
  const choice = state[step];
  const reusable = endpoints.filter((e) => step === 'source' || e.id !== state.source.endpointId);
  if (choice.mode !== 'existing' || choice.endpointId || reusable.length) return state;
  return { ...state, [step]: { ...choice, mode: 'new' } };
}

/**
 * The headline over an endpoint's checks. A warning is no failure, yet "All checks passed." next
 * to a Warning badge (an unencrypted connection, say) would tell the admin there is nothing to read.
 */
export function summaryHeadline(result: ValidationResult): { intent: 'success' | 'warning'; text: string } {
  if (!result.ok) return { intent: 'warning', text: 'Some checks failed: fix the endpoint, or continue if you know why.' };
  const warnings = result.checks.filter((c) => c.status === 'warning').length;
  if (warnings) return { intent: 'warning', text: `No check failed; ${warnings} warning(s) to read before you go on.` };
  return { intent: 'success', text: 'All checks passed.' };
}

/** Why the wizard cannot leave `state.step` yet; undefined when it can. */
export function blockedReason(state: WizardState): string | undefined {
  switch (state.step) {
    case 'name':
      return state.name.trim() ? undefined : 'Give the project a name.';
    case 'source':
    case 'destination': {
      const choice = state[state.step];
      if (!choice.endpointId)
        return choice.mode === 'new' ? 'Save the new endpoint first ("Save and Go to Summary").' : 'Choose an endpoint.';
      if (state.step === 'destination' && choice.endpointId === state.source.endpointId)
        return 'The destination must be a different endpoint from the source.';
      return undefined;
    }
    case 'review':
      return undefined;
  }
}

export function nextStep(step: WizardStep): WizardStep {
  const index = WIZARD_STEPS.findIndex((s) => s.id === step);
  return WIZARD_STEPS[Math.min(index + 1, WIZARD_STEPS.length - 1)]!.id;
}

export function previousStep(step: WizardStep): WizardStep {
  const index = WIZARD_STEPS.findIndex((s) => s.id === step);
  return WIZARD_STEPS[Math.max(index - 1, 0)]!.id;
}

export function projectBody(state: WizardState) {
  return { name: state.name.trim(), sourceEndpointId: state.source.endpointId, destinationEndpointId: state.destination.endpointId };
}
