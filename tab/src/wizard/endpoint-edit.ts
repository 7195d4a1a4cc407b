/**
 * Edit endpoint as data: the saved endpoint as the wizard's draft (secrets blank: they are never
 * sent to the browser), and the PATCH body, which leaves a blank secret out so the stored one stays.
 */
import type { PublicEndpoint } from '../api/types';
import { draftProblems, draftToInput, emptyDraft, type EndpointDraft } from './wizard-steps';

export function endpointDraft(endpoint: PublicEndpoint): EndpointDraft {
  return {
    ...emptyDraft(),
    name: endpoint.name,
    kind: endpoint.kind,
    host: endpoint.host ?? '',
    port: endpoint.port ? String(endpoint.port) : '',
    security: endpoint.security ?? 'tls',
    allowSelfSigned: !!endpoint.allowSelfSigned,
    adminMode: endpoint.adminMode,
    adminLogin: endpoint.adminLogin ?? '',
    authMechanism: endpoint.authMechanism ?? 'password',
    cloud: endpoint.cloud ?? 'commercial',
    appClientId: endpoint.appClientId ?? '',
    appTenantId: endpoint.appTenantId ?? '',
    protocol: endpoint.protocol ?? 'ews',
    domains: (endpoint.domains ?? []).join(', '),
    // An app that signs in with a certificate is edited as one: blank keeps the stored certificate and key.
    appCredential: endpoint.appCertificate ? 'certificate' : 'secret',
  };
}

/** The form's problems, except a blank secret the endpoint already holds: blank keeps it. */
export function editProblems(draft: EndpointDraft, endpoint: PublicEndpoint): Record<string, string> {
  const problems = draftProblems(draft);
  if (endpoint.hasAdminPassword) delete problems.adminPassword;
  if (endpoint.hasAppSecret) delete problems.appClientSecret;
  if (endpoint.appCertificate && !draft.appCertificate.trim()) delete problems.appCertificate;
  return problems;
}

export function endpointPatchBody(draft: EndpointDraft): Record<string, unknown> {
  const { kind: _kind, ...body } = draftToInput(draft) as Record<string, unknown>;
  for (const secret of ['adminPassword', 'appClientSecret', 'appCertificate']) if (!body[secret]) delete body[secret];
  // An emptied port goes back to the default one.
  if (draft.kind === 'imap' && !draft.port.trim()) body.port = null;
  return body;
}
