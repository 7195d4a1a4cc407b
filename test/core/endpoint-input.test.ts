import { describe, expect, it } from 'vitest';
import { endpointInput } from '../../api/core/schemas.js';

const APP = { appClientId: '0b5c1a4e-8d2f-4c3b-9e6a-1f2d3c4b5a69', appTenantId: 'contoso.onmicrosoft.com', appClientSecret: 's3cret' };

function problems(input: Record<string, unknown>): Record<string, string> {
  const parsed = endpointInput.safeParse(input);
  if (parsed.success) return {};
  return Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('endpoint input for every kind', () => {
  it('needs a host for IMAP and an EWS or OWA URL for Exchange, but not for Microsoft 365', () => {
    expect(problems({ name: 'imap', kind: 'imap' }).host).toMatch(/imap\.contoso\.com/);
    expect(problems({ name: 'ex', kind: 'exchange', adminMode: 'none' }).host).toMatch(/EWS or OWA URL/);
    expect(
      problems({
        name: 'o365',
        kind: 'm365',
        protocol: 'ews',
        cloud: 'commercial',
        adminMode: 'delegation',
        adminLogin: 'admin@contoso.com',
        adminPassword: 'pw',
      }),
    ).toEqual({});
  });

  it('keeps IMAP and EWS admin modes apart, naming the ones that fit', () => {
    expect(
      problems({ name: 'x', kind: 'imap', host: 'h', adminMode: 'impersonation', adminLogin: 'a', adminPassword: 'p' }).adminMode,
    ).toMatch(/for EWS endpoints; use one of plain-authzid, login-star, none/);
    expect(
      problems({
        name: 'x',
        kind: 'exchange',
        host: 'https://mail.contoso.com/owa',
        adminMode: 'login-star',
        adminLogin: 'a',
        adminPassword: 'p',
      }).adminMode,
    ).toMatch(/use one of delegation, impersonation, none/);
  });

  it('refuses impersonation for Groups mailboxes and says what to do instead', () => {
    expect(
      problems({ name: 'g', kind: 'm365-group', adminMode: 'impersonation', adminLogin: 'a@b.com', adminPassword: 'p' }).adminMode,
    ).toMatch(/owner or member/);
  });

  it('takes Modern Auth only complete, with impersonation, and only for EWS', () => {
    expect(problems({ name: 'o', kind: 'm365', authMechanism: 'oauth-app', adminMode: 'impersonation', ...APP })).toEqual({});
    expect(
      problems({ name: 'o', kind: 'm365', authMechanism: 'oauth-app', adminMode: 'impersonation', appClientId: APP.appClientId })
        .appClientId,
    ).toMatch(/appTenantId and either appClientSecret or appCertificate/);
    expect(
      problems({ name: 'o', kind: 'm365', protocol: 'ews', authMechanism: 'oauth-app', adminMode: 'delegation', ...APP }).adminMode,
    ).toMatch(/only by impersonation/);
    expect(
      problems({ name: 'o', kind: 'm365', authMechanism: 'oauth-app', adminMode: 'impersonation', ...APP, appClientId: 'not-a-guid' })
        .appClientId,
    ).toMatch(/GUID/);
    expect(problems({ name: 'i', kind: 'imap', host: 'h', authMechanism: 'oauth-app', ...APP }).authMechanism).toMatch(
      /use xoauth2 for IMAP/,
    );
  });

  it('needs the admin login and password for an admin mode without Modern Auth', () => {
    expect(problems({ name: 'e', kind: 'exchange', host: 'mail.contoso.com', adminMode: 'delegation' }).adminLogin).toMatch(
      /needs adminLogin and adminPassword/,
    );
  });

  it('lets only Microsoft 365 endpoints choose Graph or EWS, Graph by default for m365, and Graph only with an app in the global cloud', () => {
    expect(problems({ name: 'o', kind: 'm365', authMechanism: 'oauth-app', ...APP })).toEqual({});
    expect(problems({ name: 'o', kind: 'm365', protocol: 'graph', authMechanism: 'oauth-app', adminMode: 'none', ...APP })).toEqual({});
    expect(
      problems({ name: 'o', kind: 'm365', adminMode: 'delegation', adminLogin: 'admin@contoso.com', adminPassword: 'pw' }).authMechanism,
    ).toMatch(/Graph signs in as an app registration.*or choose protocol ews/);
    expect(problems({ name: 'o', kind: 'm365', cloud: 'china', authMechanism: 'oauth-app', ...APP }).cloud).toMatch(
      /global cloud only, not in china: choose protocol ews/,
    );
    // A Groups endpoint may choose Graph's conversation posts: an app to sign in with, no secret, global cloud.
    expect(
      problems({ name: 'g', kind: 'm365-group', protocol: 'graph', adminMode: 'delegation', adminLogin: 'a@b.com', adminPassword: 'p' })
        .appClientId,
    ).toMatch(/signs in once: give appClientId and appTenantId .*delegated permission Group\.ReadWrite\.All/);
    expect(
      problems({ name: 'g', kind: 'm365-group', protocol: 'graph', appClientId: APP.appClientId, appTenantId: APP.appTenantId }),
    ).toEqual({});
    expect(
      problems({
        name: 'g',
        kind: 'm365-group',
        protocol: 'graph',
        cloud: 'china',
        appClientId: APP.appClientId,
        appTenantId: APP.appTenantId,
      }).cloud,
    ).toMatch(/global cloud only, not in china: keep protocol ews/);
    expect(problems({ name: 'e', kind: 'exchange', host: 'mail.contoso.com', protocol: 'graph', adminMode: 'none' }).protocol).toMatch(
      /exchange endpoints speak EWS/,
    );
    expect(problems({ name: 'o', kind: 'm365', protocol: 'imap', authMechanism: 'oauth-app', ...APP }).protocol).toBeDefined();
  });
});
