/**
 * The Create project wizard as data: which step comes next, what blocks it, and the request
 * bodies it sends. Kept free of React so the rules are tested without a browser.
 */
import type { ValidationResult } from '../api/types';

export type WizardStep = 'name' | 'source' | 'destination' | 'review';
export const WIZARD_STEPS: readonly { id: WizardStep; title: string }[] = [
  { id: 'name', title: 'Name' },
  { id: 'source', title: 'Source endpoint' },
  { id: 'destination', title: 'Destination endpoint' },
  { id: 'review', title: 'Review and create' },
];

export type Security = 'tls' | 'starttls' | 'none';
export type AdminMode = 'plain-authzid' | 'login-star' | 'none';

/** The endpoint schema's fields as the form holds them (strings until sent). */
export interface EndpointDraft {
  name: string;
  host: string;
  port: string;
  security: Security;
  allowSelfSigned: boolean;
  adminMode: AdminMode;
  adminLogin: string;
  adminPassword: string;
  authMechanism: 'password' | 'xoauth2';
  domains: string;
}

export interface EndpointChoice {
  mode: 'existing' | 'new';
  /** The chosen endpoint; a new one becomes "existing" once saved so a second save never duplicates it. */
  endpointId: string;
  draft: EndpointDraft;
  testMailbox: string;
  /** The last "Save and Go to Summary" answer for `endpointId`. */
  summary?: ValidationResult;
}

export interface WizardState {
  step: WizardStep;
  name: string;
  source: EndpointChoice;
  destination: EndpointChoice;
}

export const emptyDraft = (): EndpointDraft => ({
  name: '', host: '', port: '', security: 'tls', allowSelfSigned: false, adminMode: 'none', adminLogin: '', adminPassword: '', authMechanism: 'password', domains: '',
});
const emptyChoice = (): EndpointChoice => ({ mode: 'existing', endpointId: '', draft: emptyDraft(), testMailbox: '' });
export const initialWizard = (): WizardState => ({ step: 'name', name: '', source: emptyChoice(), destination: emptyChoice() });

const MAX_PORT = 65_535;

/** Field → what to fix, for the new-endpoint form; empty when it can be saved. */
export function draftProblems(draft: EndpointDraft): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!draft.name.trim()) problems.name = 'Give the endpoint a name, e.g. "Old IMAP server".';
  if (!draft.host.trim()) problems.host = 'Give the server host name, e.g. imap.contoso.com.';
  if (draft.port.trim()) {
    const port = Number(draft.port);
    if (!Number.isInteger(port) || port < 1 || port > MAX_PORT) problems.port = `Port must be a whole number from 1 to ${MAX_PORT}.`;
  }
  if (draft.adminMode !== 'none') {
    if (!draft.adminLogin.trim()) problems.adminLogin = 'This admin mode needs the admin login.';
    if (!draft.adminPassword) problems.adminPassword = 'This admin mode needs the admin password.';
  }
  return problems;
}

/** The POST /endpoints body (IMAP is the kind this build can check and migrate). */
export function draftToInput(draft: EndpointDraft) {
  return {
    name: draft.name.trim(), kind: 'imap' as const, host: draft.host.trim(),
    ...(draft.port.trim() ? { port: Number(draft.port) } : {}),
    security: draft.security, allowSelfSigned: draft.allowSelfSigned, adminMode: draft.adminMode,
    ...(draft.adminMode !== 'none' ? { adminLogin: draft.adminLogin.trim(), adminPassword: draft.adminPassword } : {}),
    authMechanism: draft.authMechanism,
    domains: draft.domains.split(/[\s,;]+/).map((d) => d.trim().toLowerCase()).filter(Boolean),
  };
}

/** The POST /endpoints/{id}/validate body: the test mailbox is optional. */
export function validateBody(choice: EndpointChoice): { testMailbox?: string } {
  const mailbox = choice.testMailbox.trim();
  return mailbox ? { testMailbox: mailbox } : {};
}

/** Why the wizard cannot leave `state.step` yet; undefined when it can. */
export function blockedReason(state: WizardState): string | undefined {
  switch (state.step) {
    case 'name':
      return state.name.trim() ? undefined : 'Give the project a name.';
    case 'source':
    case 'destination': {
      const choice = state[state.step];
      if (!choice.endpointId) return choice.mode === 'new' ? 'Save the new endpoint first ("Save and Go to Summary").' : 'Choose an endpoint.';
      if (state.step === 'destination' && choice.endpointId === state.source.endpointId) return 'The destination must be a different endpoint from the source.';
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
