// @vitest-environment jsdom
// The wizard's endpoint step for every kind, against a stubbed fetch: the fields each kind shows,
// the messages under them before anything is sent, the POST /endpoints body, and the summary.
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EndpointStep } from '../../tab/src/wizard/EndpointStep';
import { initialWizard, type EndpointChoice } from '../../tab/src/wizard/wizard-steps';

globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

const UNSUPPORTED = {
  ok: false,
  checks: [{ check: 'Endpoint kind', status: 'failed', detail: 'Endpoints of kind "exchange" cannot be checked by this build.' }],
};

/** POST /endpoints answers 201 with an id; validate answers `summary`. */
function stubApi(summary: unknown = UNSUPPORTED) {
  const fetch = vi.fn(async (url: string, _init?: RequestInit) => {
    const body = url.endsWith('/validate') ? summary : { id: 'ep-1' };
    return new Response(JSON.stringify(body), {
      status: url.endsWith('/validate') ? 200 : 201,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}
const posted = (fetch: ReturnType<typeof stubApi>, path: string) => {
  const call = fetch.mock.calls.find(([url]) => url === `/api/v1${path}`);
  return call && JSON.parse(call[1]!.body as string);
};

function Step() {
  const [choice, setChoice] = useState<EndpointChoice>({ ...initialWizard().source, mode: 'new' });
  return <EndpointStep side="source" choice={choice} endpoints={[]} onChange={setChoice} onEndpointCreated={() => {}} />;
}
const show = () =>
  render(
    <FluentProvider theme={webLightTheme}>
      <Step />
    </FluentProvider>,
  );
const type = (label: RegExp | string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
const pick = async (combobox: string, option: RegExp | string) => {
  fireEvent.click(screen.getByRole('combobox', { name: combobox }));
  fireEvent.click(await screen.findByRole('option', { name: option }));
};
const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save and Go to Summary' }));
const kind = (label: string) => fireEvent.click(screen.getByRole('radio', { name: label }));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the endpoint step', () => {
  it('Exchange: asks for the EWS or OWA URL and the admin pair, then sends them and shows whatever the check answers', async () => {
    const fetch = stubApi();
    show();
    kind('Exchange Server 2007+ / hosted Exchange (EWS)');
    expect(screen.queryByLabelText(/Server host name/)).toBeNull();
    expect(screen.queryByLabelText(/^Port/)).toBeNull();
    screen.getByText(/https:\/\/mail\.contoso\.com\/EWS\/Exchange\.asmx or https:\/\/mail\.contoso\.com\/owa/);
    save();
    await screen.findByText(/Give the EWS or OWA URL/);
    screen.getByText('This admin access needs the admin login.');
    screen.getByText('This admin access needs the admin password.');
    expect(fetch).not.toHaveBeenCalled();

    type(/Endpoint name/, 'Contoso Exchange');
    type(/EWS or OWA URL/, 'https://mail.contoso.com/owa');
    await pick('Admin access', /^Impersonation/);
    type(/^Admin login\s*\*?$/, 'CONTOSO\\migadmin');
    type(/Admin password/, 'Admin-Pw1');
    save();
    await screen.findByText(/cannot be checked by this build/);
    expect(posted(fetch, '/endpoints')).toEqual({
      name: 'Contoso Exchange',
      kind: 'exchange',
      host: 'https://mail.contoso.com/owa',
      allowSelfSigned: false,
      adminMode: 'impersonation',
      adminLogin: 'CONTOSO\\migadmin',
      adminPassword: 'Admin-Pw1',
      authMechanism: 'password',
      domains: [],
    });
    expect(posted(fetch, '/endpoints/ep-1/validate')).toEqual({ role: 'source' });
    screen.getByText('Some checks failed: fix the endpoint, or continue if you know why.');
  });

  it('Microsoft 365 starts on Microsoft Graph: an app registration only, the permission list to copy, no cloud, URL or admin login', async () => {
    const fetch = stubApi({ ok: true, checks: [{ check: 'App token', status: 'ok', detail: 'Token issued.' }] });
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    show();
    kind('Microsoft 365 (Exchange Online)');
    expect((screen.getByRole('radio', { name: 'Microsoft Graph (recommended)' }) as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByRole('combobox', { name: 'Cloud' })).toBeNull();
    expect(screen.queryByLabelText(/EWS URL/)).toBeNull();
    expect(screen.queryByRole('combobox', { name: 'Admin access' })).toBeNull();
    expect(screen.queryByLabelText(/^Admin login\s*\*?$/)).toBeNull();
    const list = screen.getByLabelText('Microsoft Graph application permissions').textContent!.split('\n');
    expect(list).toEqual([
      'User.Read.All',
      'MailboxFolder.ReadWrite.All',
      'MailboxItem.Read.All',
      'MailboxItem.Export.All',
      'MailboxItem.ImportExport.All',
      'Mail-Advanced.ReadWrite.All',
      'Mail.ReadWrite',
      'MailboxSettings.ReadWrite',
      'Calendars.ReadWrite',
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Copy the list' }));
    await screen.findByRole('button', { name: 'Copied' });
    expect(writeText).toHaveBeenCalledWith(list.join('\n'));
    save();
    await screen.findByText(/Give the Application \(client\) ID/);
    expect(fetch).not.toHaveBeenCalled();

    type(/Endpoint name/, 'Contoso 365');
    type(/Application \(client\) ID/, '3f2a1b4c-0d9e-4f8a-9b7c-6d5e4f3a2b1c');
    type(/Directory \(tenant\) ID/, 'contoso.onmicrosoft.com');
    type(/Client secret/, 'app-secret');
    // An app has no mailbox of its own: the test mailbox is where each permission is tried (not "the admin").
    screen.getByText(/^Each permission the app needs as a source is tried on this mailbox/);
    expect(screen.queryByText(/Checks the admin can open this mailbox/)).toBeNull();
    type(/Test mailbox/, 'alice@contoso.com');
    save();
    await screen.findByText('All checks passed.');
    // Checked for the wizard's side: over Graph an import permission a source does not need is only a warning.
    expect(posted(fetch, '/endpoints/ep-1/validate')).toEqual({ testMailbox: 'alice@contoso.com', role: 'source' });
    expect(posted(fetch, '/endpoints')).toEqual({
      name: 'Contoso 365',
      kind: 'm365',
      host: '',
      cloud: 'commercial',
      protocol: 'graph',
      adminMode: 'impersonation',
      authMechanism: 'oauth-app',
      appClientId: '3f2a1b4c-0d9e-4f8a-9b7c-6d5e4f3a2b1c',
      appTenantId: 'contoso.onmicrosoft.com',
      appClientSecret: 'app-secret',
      domains: [],
    });
  });

  it('Microsoft 365 over Graph with a certificate: the PEM text is asked for with its key and sent instead of a secret', async () => {
    const fetch = stubApi({ ok: true, checks: [{ check: 'App token', status: 'ok', detail: 'Token issued.' }] });
    show();
    kind('Microsoft 365 (Exchange Online)');
    type(/Endpoint name/, 'Contoso 365');
    type(/Application \(client\) ID/, '3f2a1b4c-0d9e-4f8a-9b7c-6d5e4f3a2b1c');
    type(/Directory \(tenant\) ID/, 'contoso.onmicrosoft.com');
    fireEvent.click(screen.getByRole('radio', { name: 'Certificate' }));
    expect(screen.queryByLabelText(/Client secret/)).toBeNull();
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    type(/Certificate and private key/, cert);
    save();
    await screen.findByText(/Paste the private key too/);
    expect(fetch).not.toHaveBeenCalled();
    const key = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
    type(/Certificate and private key/, cert + key);
    save();
    await screen.findByText('All checks passed.');
    expect(posted(fetch, '/endpoints')).toEqual({
      name: 'Contoso 365',
      kind: 'm365',
      host: '',
      cloud: 'commercial',
      protocol: 'graph',
      adminMode: 'impersonation',
      authMechanism: 'oauth-app',
      appClientId: '3f2a1b4c-0d9e-4f8a-9b7c-6d5e4f3a2b1c',
      appTenantId: 'contoso.onmicrosoft.com',
      appCertificate: (cert + key).trim(),
      domains: [],
    });
  });

  it('Microsoft 365 over EWS: a cloud, no host needed, and Modern Auth forcing Impersonation with its reason', async () => {
    const fetch = stubApi({ ok: true, checks: [{ check: 'Sign-in', status: 'ok', detail: 'Token issued.' }] });
    show();
    kind('Microsoft 365 (Exchange Online)');
    kind('EWS (until Microsoft turns it off)');
    screen.getByText(/removes it on 2027-04-01/);
    type(/Endpoint name/, 'Fabrikam 365');
    await pick('Cloud', '21Vianet (China)');
    fireEvent.click(screen.getByRole('radio', { name: 'Modern Auth app registration' }));
    expect(screen.queryByLabelText(/^Admin login\s*\*?$/)).toBeNull();
    const access = screen.getByRole('combobox', { name: 'Admin access' });
    expect(access.textContent).toMatch(/^Impersonation/);
    expect(access.hasAttribute('disabled') || access.getAttribute('aria-disabled') === 'true').toBe(true);
    screen.getByText(/Modern Auth uses Impersonation: an app registration has no mailbox of its own/);
    save();
    await screen.findByText(/Give the Application \(client\) ID/);
    screen.getByText(/Give the Directory \(tenant\) ID/);
    screen.getByText('Give a client secret of the app registration.');

    type(/Application \(client\) ID/, '3F2A1B4C-0D9E-4F8A-9B7C-6D5E4F3A2B1C');
    type(/Directory \(tenant\) ID/, 'fabrikam.partner.onmschina.cn');
    type(/Client secret/, 'app-secret');
    expect((screen.getByLabelText(/Client secret/) as HTMLInputElement).type).toBe('password');
    save();
    await screen.findByText('All checks passed.');
    expect(posted(fetch, '/endpoints')).toEqual({
      name: 'Fabrikam 365',
      kind: 'm365',
      host: '',
      cloud: 'china',
      protocol: 'ews',
      adminMode: 'impersonation',
      authMechanism: 'oauth-app',
      appClientId: '3F2A1B4C-0D9E-4F8A-9B7C-6D5E4F3A2B1C',
      appTenantId: 'fabrikam.partner.onmschina.cn',
      appClientSecret: 'app-secret',
      domains: [],
    });
  });

  it('Microsoft 365 with an admin login: optional EWS URL checked as a URL, Delegation by default', async () => {
    const fetch = stubApi();
    show();
    kind('Microsoft 365 (Exchange Online)');
    kind('EWS (until Microsoft turns it off)');
    type(/Endpoint name/, 'Tenant A');
    type(/EWS URL/, 'outlook.office365.com');
    type(/^Admin login\s*\*?$/, 'admin@a.onmicrosoft.com');
    type(/Admin password/, 'pw');
    save();
    await screen.findByText(/Leave empty for the cloud's own EWS address/);
    type(/EWS URL/, '');
    save();
    await waitFor(() =>
      expect(posted(fetch, '/endpoints')).toEqual({
        name: 'Tenant A',
        kind: 'm365',
        host: '',
        cloud: 'commercial',
        protocol: 'ews',
        adminMode: 'delegation',
        adminLogin: 'admin@a.onmicrosoft.com',
        adminPassword: 'pw',
        authMechanism: 'password',
        domains: [],
      }),
    );
  });

  it('Microsoft 365 Groups: no Impersonation, no app registration, and the folder note', async () => {
    const fetch = stubApi();
    show();
    kind('Microsoft 365 Groups');
    screen.getByText('Groups mailboxes hold Inbox and Calendar only; add FolderFilter=^(?!Inbox$|Calendar$) to the project.');
    expect(screen.getByRole('radio', { name: 'Modern Auth app registration' }).hasAttribute('disabled')).toBe(true);
    fireEvent.click(screen.getByRole('combobox', { name: 'Admin access' }));
    const offered = (await screen.findAllByRole('option')).map((o) => o.textContent);
    expect(offered).toEqual(['Delegation (FullAccess)', 'None: each item has its own login']);
    fireEvent.click(screen.getByRole('option', { name: /^Delegation/ }));
    type(/Endpoint name/, 'Groups');
    type(/^Admin login\s*\*?$/, 'owner@contoso.com');
    type(/Admin password/, 'pw');
    save();
    await waitFor(() =>
      expect(posted(fetch, '/endpoints')).toEqual({
        name: 'Groups',
        kind: 'm365-group',
        host: '',
        cloud: 'commercial',
        adminMode: 'delegation',
        adminLogin: 'owner@contoso.com',
        adminPassword: 'pw',
        authMechanism: 'password',
        domains: [],
      }),
    );
  });

  it('Microsoft 365 Groups over Graph: the test mailbox is a group, checked after the sign-in (not "the admin can open")', () => {
    stubApi();
    show();
    kind('Microsoft 365 Groups');
    fireEvent.click(screen.getByRole('radio', { name: /Microsoft Graph conversation posts/ }));
    screen.getByText(/^A group's address \(e\.g\. team@contoso\.com\): once an administrator has signed in, checks the sign-in, the group/);
    expect(screen.queryByText(/Checks the admin can open this mailbox/)).toBeNull();
    expect(screen.getByLabelText(/Test mailbox/).getAttribute('placeholder')).toBe('team@contoso.com');
  });

  it('IMAP stays as it was: host, port and encryption', async () => {
    const fetch = stubApi();
    show();
    save();
    await screen.findByText('Give the server host name, e.g. imap.contoso.com.');
    type(/Endpoint name/, 'Old IMAP');
    type(/Server host name/, 'imap.old.test');
    type(/^Port/, '143');
    save();
    await waitFor(() =>
      expect(posted(fetch, '/endpoints')).toMatchObject({
        kind: 'imap',
        host: 'imap.old.test',
        port: 143,
        security: 'tls',
        adminMode: 'none',
      }),
    );
  });

  it('saves a new endpoint once: a failed check is retried on the same endpoint, a changed draft replaces it (issue 14 #3)', async () => {
    const calls: string[] = [];
    let created = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        calls.push(`${init?.method ?? 'GET'} ${url}`);
        if (url.endsWith('/validate')) {
          return new Response(JSON.stringify({ status: 400, code: 'validation', detail: 'The server did not answer.' }), {
            status: 400,
            headers: { 'content-type': 'application/problem+json' },
          });
        }
        if (init?.method === 'DELETE') return new Response(null, { status: 204 });
        return new Response(JSON.stringify({ id: `ep-${++created}` }), { status: 201, headers: { 'content-type': 'application/json' } });
      }),
    );
    show();
    type(/Endpoint name/, 'Old IMAP');
    type(/Server host name/, 'imap.old.test');
    save();
    await screen.findByText(/The server did not answer/);
    save();
    await waitFor(() => expect(calls.filter((c) => c.endsWith('/validate'))).toHaveLength(2));
    expect(calls.filter((c) => c === 'POST /api/v1/endpoints')).toHaveLength(1);
    expect(calls).toContain('POST /api/v1/endpoints/ep-1/validate');

    type(/Server host name/, 'imap.fixed.test');
    save();
    await waitFor(() => expect(calls).toContain('POST /api/v1/endpoints/ep-2/validate'));
    expect(calls).toContain('DELETE /api/v1/endpoints/ep-1');
    expect(calls.filter((c) => c === 'POST /api/v1/endpoints')).toHaveLength(2);
  });
});
