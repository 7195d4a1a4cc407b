/**
 * Microsoft 365 Groups over Microsoft Graph in the wizard: the lossy path Microsoft leaves once
 * EWS is off. The form asks only for the app registration the administrator signs in with (no
 * secret, no admin login) and states what this path loses, in the words of docs/endpoints.md's table.
 */
import type { PublicEndpoint } from '../api/types';
import type { EndpointDraft } from './wizard-steps';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const GROUPS_GRAPH_LOSSES: readonly string[] = [
  'Each message becomes a new conversation in the group, posted by the administrator who signs in, at the time it is copied.',
  'The original sender, recipients and dates are kept only as text at the top of each post: Outlook shows the administrator as the sender and the copy time as the date.',
  'Attachments are not copied: each post lists them, and the error log names them message by message.',
  'Replies are not kept together: every message becomes a conversation of its own.',
  'Calendar items are not copied (Graph would send an invitation to every attendee).',
  'Read state, flags and categories are not kept; only the Inbox is copied (add FolderFilter=^(?!Inbox$) to the project).',
];
export const GROUPS_GRAPH_SETUP =
  'The app registration needs "Allow public client flows" (Authentication) and the Microsoft Graph delegated permission ' +
  'Group.ReadWrite.All with admin consent. After saving, an administrator who may post to the groups signs in once.';

/** A Groups endpoint over Graph, as a draft. */
export const groupsOverGraph = (draft: Pick<EndpointDraft, 'kind' | 'protocol'>): boolean =>
  draft.kind === 'm365-group' && draft.protocol === 'graph';

/** A saved endpoint that posts to Groups over Graph (and so needs an administrator's sign-in). */
export const needsSignIn = (endpoint: Pick<PublicEndpoint, 'kind' | 'protocol'> | undefined): boolean =>
  endpoint?.kind === 'm365-group' && endpoint.protocol === 'graph';

export function groupsGraphProblems(draft: EndpointDraft): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!draft.name.trim()) problems.name = 'Give the endpoint a name, e.g. "Team groups".';
  if (!GUID.test(draft.appClientId.trim()))
    problems.appClientId =
      'Give the Application (client) ID from the app registration: a GUID such as 00000000-0000-0000-0000-000000000000.';
  if (!draft.appTenantId.trim()) problems.appTenantId = 'Give the Directory (tenant) ID or a domain such as contoso.onmicrosoft.com.';
  return problems;
}

const domainList = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);

/** The POST /endpoints body: the app to sign in with, nothing secret. */
export function groupsGraphInput(draft: EndpointDraft) {
  return {
    name: draft.name.trim(),
    kind: 'm365-group' as const,
    host: '',
    protocol: 'graph' as const,
    appClientId: draft.appClientId.trim(),
    appTenantId: draft.appTenantId.trim(),
    domains: domainList(draft.domains),
  };
}
