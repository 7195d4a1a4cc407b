// Pure logic; .tsx so tab/tsconfig.json type-checks it with the tab's sources.
import { describe, expect, it } from 'vitest';
import {
  blockedReason, draftProblems, draftToInput, emptyDraft, initialWizard, nextStep, previousStep, projectBody, validateBody, type WizardState,
} from '../../tab/src/wizard/wizard-steps';

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
    const draft = { ...emptyDraft(), name: ' Old ', host: 'imap.old.test ', port: '143', security: 'none' as const, domains: 'A.test, b.test;c.test' };
    expect(draftToInput(draft)).toEqual({
      name: 'Old', kind: 'imap', host: 'imap.old.test', port: 143, security: 'none', allowSelfSigned: false, adminMode: 'none',
      authMechanism: 'password', domains: ['a.test', 'b.test', 'c.test'],
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
});
