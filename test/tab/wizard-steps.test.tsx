// Pure logic; .tsx so tab/tsconfig.json type-checks it with the tab's sources.
import { describe, expect, it } from 'vitest';
import {
  adminModesFor,
  blockedReason,
  checksAsUser,
  draftProblems,
  endpointFacts,
  enterStep,
  draftToInput,
  emptyDraft,
  endpointLabel,
  initialWizard,
  nextStep,
  previousStep,
  projectBody,
  summaryHeadline,
  validateBody,
  withKind,
  withProtocol,
  withSignIn,
  type EndpointDraft,
  type WizardState,
} from '../../tab/src/wizard/wizard-steps';
import { endpointInput } from '../../api/core/schemas';

const at = (patch: Partial<WizardState>): WizardState => ({ ...initialWizard(), ...patch });

describe('the Create project wizard', () => {
  it('walks name → source → destination → review and back', () => {
    expect(nextStep('name')).toBe('source');
    expect(nextStep('destination')).toBe('review');
    expect(nextStep('review')).toBe('review');
    expect(previousStep('source')).toBe('name');
    expect(previousStep('name')).toBe('name');
  });

  it('needs a name before the endpoints', () => {
    expect(blockedReason(at({ name: '  ' }))).toMatch(/name/);
    expect(blockedReason(at({ name: 'Contoso' }))).toBeUndefined();
  });

  it('needs a chosen or saved endpoint, and a destination different from the source', () => {
    const state = at({ name: 'Contoso', step: 'source' });
    expect(blockedReason(state)).toBe('Choose an endpoint.');
    expect(blockedReason({ ...state, source: { ...state.source, mode: 'new' } })).toMatch(/Save and Go to Summary/);
    const withSource = { ...state, source: { ...state.source, endpointId: 'e1' } };
    expect(blockedReason(withSource)).toBeUndefined();
    const dest = { ...withSource, step: 'destination' as const, destination: { ...withSource.destination, endpointId: 'e1' } };
    expect(blockedReason(dest)).toMatch(/different/);
    expect(blockedReason({ ...dest, destination: { ...dest.destination, endpointId: 'e2' } })).toBeUndefined();
  });

  it('names every missing field of a new endpoint, including the admin pair its mode needs', () => {
    const problems = draftProblems({ ...emptyDraft(), adminMode: 'plain-authzid', port: '99999' });
    expect(Object.keys(problems).sort()).toEqual(['adminLogin', 'adminPassword', 'host', 'name', 'port']);
  });

  it('sends the endpoint schema: port as a number, domains as a list, no admin fields without an admin mode', () => {
    const draft = {
      ...emptyDraft(),
      name: ' Old ',
      host: 'imap.old.test ',
      port: '143',
      security: 'none' as const,
      domains: 'A.test, b.test;c.test',
    };
    expect(draftToInput(draft)).toEqual({
      name: 'Old',
      kind: 'imap',
      host: 'imap.old.test',
      port: 143,
      security: 'none',
      allowSelfSigned: false,
      adminMode: 'none',
      authMechanism: 'password',
      domains: ['a.test', 'b.test', 'c.test'],
    });
    const admin = draftToInput({ ...draft, port: '', adminMode: 'login-star', adminLogin: 'admin', adminPassword: 'pw' });
    expect(admin).toMatchObject({ adminLogin: 'admin', adminPassword: 'pw' });
    expect(admin).not.toHaveProperty('port');
  });

  it('sends the test mailbox only when given, and the project body from the chosen endpoints', () => {
    const state = initialWizard();
    expect(validateBody(state.source)).toEqual({});
    expect(validateBody({ ...state.source, testMailbox: ' a@b.test ' })).toEqual({ testMailbox: 'a@b.test' });
    const done = at({ name: ' P ', source: { ...state.source, endpointId: 's' }, destination: { ...state.destination, endpointId: 'd' } });
    expect(projectBody(done)).toEqual({ name: 'P', sourceEndpointId: 's', destinationEndpointId: 'd' });
  });

  // Issue 14, "what an admin expects next": the wizard's first hour.
  it('opens an endpoint step on "Create a new endpoint" when there is none to reuse', () => {
    const onSource = at({ step: 'source' });
    expect(enterStep(onSource, []).source.mode).toBe('new');
    expect(enterStep(onSource, [{ id: 'e1' }]).source.mode).toBe('existing');
    // The only endpoint is the source's own: the destination has nothing to reuse.
    const onDestination = at({ step: 'destination', source: { ...onSource.source, mode: 'existing', endpointId: 'e1' } });
    expect(enterStep(onDestination, [{ id: 'e1' }]).destination.mode).toBe('new');
    expect(enterStep(onDestination, [{ id: 'e1' }, { id: 'e2' }]).destination.mode).toBe('existing');
  });

  it('checks an endpoint without admin access with a test login and password, never sent half', () => {
    const choice = { ...initialWizard().source, mode: 'new' as const, draft: { ...emptyDraft(), adminMode: 'none' as const } };
    expect(checksAsUser(choice, [])).toBe(true);
    expect(checksAsUser({ ...choice, draft: { ...choice.draft, adminMode: 'plain-authzid' } }, [])).toBe(false);
    expect(
      checksAsUser({ ...choice, mode: 'existing', endpointId: 'e1' }, [{ id: 'e1', adminMode: 'login-star', authMechanism: 'password' }]),
    ).toBe(false);
    expect(validateBody({ ...choice, testLogin: ' src1 ', testPassword: 'pw' }, true)).toEqual({ testLogin: 'src1', testPassword: 'pw' });
    expect(validateBody({ ...choice, testLogin: 'src1', testPassword: '' }, true)).toEqual({});
    // An IMAP test mailbox may be a login.
    expect(validateBody({ ...choice, testMailbox: 'src1' })).toEqual({ testMailbox: 'src1' });
  });

  it('lists host, port, encryption and admin access for the Review step', () => {
    expect(
      endpointFacts({
        kind: 'imap',
        host: 'imap.contoso.com',
        port: undefined,
        security: 'tls',
        adminMode: 'plain-authzid',
        adminLogin: 'master',
        authMechanism: 'password',
        cloud: undefined,
      }),
    ).toEqual([
      ['Kind', 'IMAP'],
      ['Host', 'imap.contoso.com'],
      ['Port', '993'],
      ['Encryption', 'TLS (encrypted from the start)'],
      ['Admin access', 'Master user (SASL PLAIN authzid), as master'],
    ]);
    expect(
      endpointFacts({
        kind: 'imap',
        host: '127.0.0.1',
        port: 10143,
        security: 'none',
        adminMode: 'none',
        adminLogin: undefined,
        authMechanism: 'password',
        cloud: undefined,
      }),
    ).toContainEqual(['Encryption', 'None (passwords travel unencrypted)']);
  });

  it('resets what a new kind cannot use: an EWS kind starts with Delegation, Groups never offer Impersonation', () => {
    expect(withKind(emptyDraft(), 'exchange').adminMode).toBe('delegation');
    expect(withKind({ ...emptyDraft(), adminMode: 'login-star', protocol: 'ews' }, 'm365').adminMode).toBe('delegation');
    // A new Microsoft 365 endpoint speaks Graph: an app registration, the worldwide cloud, Microsoft's own address.
    expect(withKind({ ...emptyDraft(), host: 'imap.x', cloud: 'china' }, 'm365')).toMatchObject({
      protocol: 'graph',
      authMechanism: 'oauth-app',
      cloud: 'commercial',
      host: '',
    });
    expect(withProtocol(withKind(emptyDraft(), 'm365'), 'ews')).toMatchObject({
      protocol: 'ews',
      authMechanism: 'password',
      adminMode: 'delegation',
    });
    expect(withKind(withKind(emptyDraft(), 'exchange'), 'imap').adminMode).toBe('none');
    expect(withKind({ ...emptyDraft(), authMechanism: 'xoauth2' }, 'exchange').authMechanism).toBe('password');
    expect(adminModesFor('m365-group')).toEqual(['delegation', 'none']);
    const modern = withSignIn(withKind(emptyDraft(), 'm365'), 'oauth-app');
    expect(modern).toMatchObject({ authMechanism: 'oauth-app', adminMode: 'impersonation' });
    // Groups cannot impersonate, so an app registration cannot follow the draft there.
    expect(withKind(modern, 'm365-group')).toMatchObject({ authMechanism: 'password', adminMode: 'delegation' });
  });

  it('names an endpoint by its host, or by kind and cloud when a Microsoft 365 endpoint has none', () => {
    expect(endpointLabel({ name: 'Old', kind: 'imap', host: 'imap.old.test', port: 143 })).toBe('Old (imap.old.test:143)');
    expect(endpointLabel({ name: 'M', kind: 'm365', host: '', cloud: 'usgov-dod' })).toBe(
      'M (Microsoft 365 (Exchange Online), US Government DoD)',
    );
  });

  it('heads the summary with what it holds: a warning is not "All checks passed."', () => {
    const check = (status: 'ok' | 'warning' | 'failed') => ({ check: status, status, detail: '' });
    expect(summaryHeadline({ ok: true, checks: [check('ok')] })).toEqual({ intent: 'success', text: 'All checks passed.' });
    expect(summaryHeadline({ ok: true, checks: [check('ok'), check('warning')] })).toEqual({
      intent: 'warning',
      text: 'No check failed; 1 warning(s) to read before you go on.',
    });
    expect(summaryHeadline({ ok: false, checks: [check('failed'), check('warning')] }).text).toMatch(/^Some checks failed/);
  });
});

/** Every draft the form can hold, judged by the form and by the API's own schema: they must agree. */
describe('the endpoint draft rules mirror the endpoint schema per kind', () => {
  const base = (kind: EndpointDraft['kind'], patch: Partial<EndpointDraft> = {}): EndpointDraft => ({
    ...withKind({ ...emptyDraft(), name: 'E' }, kind),
    ...patch,
  });
  const schemaAccepts = (draft: EndpointDraft) => endpointInput.safeParse(draftToInput(draft)).success;
  const admin = { adminLogin: 'admin@contoso.com', adminPassword: 'pw' };
  const app = { appClientId: '3f2a1b4c-0d9e-4f8a-9b7c-6d5e4f3a2b1c', appTenantId: 'contoso.onmicrosoft.com', appClientSecret: 's3cret' };

  it('Exchange needs the EWS or OWA URL and, for Delegation or Impersonation, the admin login and password', () => {
    const draft = base('exchange');
    expect(Object.keys(draftProblems(draft)).sort()).toEqual(['adminLogin', 'adminPassword', 'host']);
    expect(draftProblems(draft).host).toMatch(/EWS or OWA URL, e\.g\. https:\/\/mail\.contoso\.com\/EWS\/Exchange\.asmx/);
    expect(draftProblems({ ...draft, host: 'ftp://mail.contoso.com' }).host).toMatch(/https:\/\//);
    const good = { ...draft, host: ' https://mail.contoso.com/owa ', ...admin, domains: 'Contoso.com' };
    expect(draftProblems(good)).toEqual({});
    expect(draftToInput(good)).toEqual({
      name: 'E',
      kind: 'exchange',
      host: 'https://mail.contoso.com/owa',
      allowSelfSigned: false,
      adminMode: 'delegation',
      adminLogin: 'admin@contoso.com',
      adminPassword: 'pw',
      authMechanism: 'password',
      domains: ['contoso.com'],
    });
    expect(schemaAccepts(good)).toBe(true);
    const none = { ...draft, host: 'mail.contoso.com', adminMode: 'none' as const };
    expect(draftProblems(none)).toEqual({});
    expect(draftToInput(none)).not.toHaveProperty('adminLogin');
    expect(schemaAccepts(none)).toBe(true);
    expect(schemaAccepts({ ...draft, host: '' })).toBe(false);
  });

  it('Microsoft 365 takes an empty host (the cloud’s EWS address), a cloud, and an admin login', () => {
    const draft = base('m365', {
      protocol: 'ews',
      authMechanism: 'password',
      cloud: 'usgov-gcchigh',
      adminMode: 'impersonation',
      ...admin,
    });
    expect(draftProblems(draft)).toEqual({});
    expect(draftToInput(draft)).toEqual({
      name: 'E',
      kind: 'm365',
      host: '',
      cloud: 'usgov-gcchigh',
      protocol: 'ews',
      adminMode: 'impersonation',
      adminLogin: 'admin@contoso.com',
      adminPassword: 'pw',
      authMechanism: 'password',
      domains: [],
    });
    expect(schemaAccepts(draft)).toBe(true);
    expect(draftProblems({ ...draft, host: 'outlook.office365.com' }).host).toMatch(/Leave empty/);
    expect(draftProblems({ ...draft, host: 'https://outlook.office365.us/EWS/Exchange.asmx' })).toEqual({});
  });

  it('Microsoft 365 with Modern Auth needs the three app fields, sends no admin login, and always impersonates', () => {
    const draft = withSignIn(base('m365', { ...admin, protocol: 'ews' }), 'oauth-app');
    expect(Object.keys(draftProblems(draft)).sort()).toEqual(['appClientId', 'appClientSecret', 'appTenantId']);
    expect(draftProblems({ ...draft, ...app, appClientId: 'not-a-guid' }).appClientId).toMatch(/GUID/);
    const good = { ...draft, ...app };
    expect(draftProblems(good)).toEqual({});
    expect(draftToInput(good)).toEqual({
      name: 'E',
      kind: 'm365',
      host: '',
      cloud: 'commercial',
      protocol: 'ews',
      adminMode: 'impersonation',
      authMechanism: 'oauth-app',
      domains: [],
      ...app,
    });
    expect(schemaAccepts(good)).toBe(true);
    // The schema's rule, said before sending: an app cannot use delegation.
    expect(draftProblems({ ...good, adminMode: 'delegation' }).adminMode).toMatch(/only by impersonation/);
    expect(endpointInput.safeParse({ ...draftToInput(good), adminMode: 'delegation' }).success).toBe(false);
    expect((draftToInput({ ...good, adminMode: 'delegation' }) as { adminMode?: string }).adminMode).toBe('impersonation');
  });

  it('Microsoft 365 over Graph needs the app, the worldwide cloud and no URL, as the schema does', () => {
    const draft = base('m365');
    expect(Object.keys(draftProblems(draft)).sort()).toEqual(['appClientId', 'appClientSecret', 'appTenantId']);
    const good = { ...draft, ...app };
    expect(draftProblems(good)).toEqual({});
    expect(draftToInput(good)).toEqual({
      name: 'E',
      kind: 'm365',
      host: '',
      cloud: 'commercial',
      protocol: 'graph',
      adminMode: 'impersonation',
      authMechanism: 'oauth-app',
      domains: [],
      ...app,
    });
    expect(schemaAccepts(good)).toBe(true);
    expect(draftProblems({ ...good, authMechanism: 'password' }).authMechanism).toMatch(/or choose EWS/);
    expect(schemaAccepts({ ...good, authMechanism: 'password' })).toBe(false);
    expect(draftProblems({ ...good, cloud: 'china' }).cloud).toMatch(/worldwide cloud only/);
    expect(schemaAccepts({ ...good, cloud: 'china' })).toBe(false);
  });

  it('Microsoft 365 Groups refuse impersonation and app registrations, as the schema does', () => {
    const draft = base('m365-group', admin);
    expect(draft.adminMode).toBe('delegation');
    expect(draftProblems(draft)).toEqual({});
    expect(schemaAccepts(draft)).toBe(true);
    const impersonating = { ...draft, adminMode: 'impersonation' as const };
    expect(draftProblems(impersonating).adminMode).toMatch(/Groups mailboxes cannot be impersonated/);
    expect(schemaAccepts(impersonating)).toBe(false);
    const app365 = { ...draft, ...app, authMechanism: 'oauth-app' as const, adminMode: 'impersonation' as const };
    expect(draftProblems(app365)).toHaveProperty('authMechanism');
    expect(schemaAccepts(app365)).toBe(false);
  });

  it('IMAP keeps its fields and its admin modes', () => {
    const draft = base('imap', { host: 'imap.contoso.com', adminMode: 'plain-authzid', ...admin });
    expect(draftProblems(draft)).toEqual({});
    expect(schemaAccepts(draft)).toBe(true);
    expect(draftProblems({ ...draft, adminMode: 'delegation' })).toHaveProperty('adminMode');
    expect(schemaAccepts({ ...draft, adminMode: 'delegation' })).toBe(false);
  });
});
