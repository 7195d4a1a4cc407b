// @vitest-environment jsdom
// Issue 14 #2: edit an endpoint with the wizard's form (blank secrets keep the stored ones,
// checked again on save) and delete one, refused with the API's reason naming the projects.
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EndpointsPage } from '../../tab/src/wizard/EndpointsPage';

globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const ENDPOINT = {
  id: 'e1',
  name: 'Old IMAP',
  kind: 'imap',
  host: 'imap.old.test',
  port: 10993,
  security: 'tls',
  adminMode: 'login-star',
  adminLogin: 'admin',
  hasAdminPassword: true,
  hasAppSecret: false,
  domains: [],
};

function stub(answers: Record<string, { status: number; body?: unknown }>) {
  const calls: { method: string; url: string; body?: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      calls.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      const answer = answers[`${method} ${url.split('?')[0]}`] ?? { status: 404, body: { code: 'not-found', detail: 'no' } };
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status });
    }),
  );
  return calls;
}
const show = () =>
  render(
    <FluentProvider theme={webLightTheme}>
      <EndpointsPage />
    </FluentProvider>,
  );

describe('Endpoints page', () => {
  it('edits with the wizard form, leaves the blank password out, and checks the endpoint again', async () => {
    const calls = stub({
      'GET /api/v1/endpoints': { status: 200, body: { items: [ENDPOINT] } },
      'PATCH /api/v1/endpoints/e1': { status: 200, body: { ...ENDPOINT, name: 'Old IMAP (Dovecot)' } },
      'POST /api/v1/endpoints/e1/validate': {
        status: 200,
        body: {
          ok: false,
          checks: [
            {
              check: 'Connection',
              status: 'failed',
              detail: 'Nothing answered on imap.old.test port 10993: check the port, and that the mail server is running there.',
            },
          ],
        },
      },
    });
    show();
    fireEvent.click(await screen.findByRole('button', { name: 'Edit Old IMAP' }));
    screen.getByText('Leave the admin password empty to keep the stored one; it is never shown.');
    const name = screen.getByLabelText(/Endpoint name/) as HTMLInputElement;
    expect(name.value).toBe('Old IMAP');
    expect((screen.getByLabelText(/Admin password/) as HTMLInputElement).value).toBe('');
    fireEvent.change(name, { target: { value: 'Old IMAP (Dovecot)' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save and check' }));
    await screen.findByText(/Nothing answered on imap\.old\.test port 10993/);
    const patch = calls.find((c) => c.method === 'PATCH')!;
    expect(patch.body).toMatchObject({
      name: 'Old IMAP (Dovecot)',
      host: 'imap.old.test',
      port: 10993,
      adminMode: 'login-star',
      adminLogin: 'admin',
    });
    expect(patch.body).not.toHaveProperty('adminPassword');
    expect(patch.body).not.toHaveProperty('kind');
    expect(calls.filter((c) => c.method === 'POST' && c.url.endsWith('/validate'))).toHaveLength(1);
  });

  it('edits a Graph endpoint that signs in with a certificate as one: blank keeps the stored certificate, a pasted one replaces it', async () => {
    const graph = {
      id: 'e2',
      name: 'Contoso 365',
      kind: 'm365',
      protocol: 'graph',
      host: '',
      cloud: 'commercial',
      adminMode: 'impersonation',
      authMechanism: 'oauth-app',
      appClientId: '3f2a1b4c-0d9e-4f8a-9b7c-6d5e4f3a2b1c',
      appTenantId: 'contoso.onmicrosoft.com',
      hasAdminPassword: false,
      hasAppSecret: false,
      hasSignIn: false,
      domains: [],
      appCertificate: {
        thumbprint: 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678',
        thumbprintSha256: 'ab',
        subject: 'CN=Mailferry',
        notBefore: '2026-01-01T00:00:00.000Z',
        notAfter: '2027-06-30T00:00:00.000Z',
      },
    };
    const calls = stub({
      'GET /api/v1/endpoints': { status: 200, body: { items: [graph] } },
      'PATCH /api/v1/endpoints/e2': { status: 200, body: graph },
      'POST /api/v1/endpoints/e2/validate': {
        status: 200,
        body: { ok: true, checks: [{ check: 'App token', status: 'ok', detail: 'Token issued.' }] },
      },
    });
    show();
    fireEvent.click(await screen.findByRole('button', { name: 'Edit Contoso 365' }));
    expect((screen.getByRole('radio', { name: 'Certificate' }) as HTMLInputElement).checked).toBe(true);
    screen.getByText(
      /signs in with the certificate CN=Mailferry \(thumbprint A1B2C3D4E5F60718293A4B5C6D7E8F9012345678\), valid until 2027-06-30/,
    );
    expect(screen.queryByLabelText(/Client secret/)).toBeNull();
    fireEvent.change(screen.getByLabelText(/Endpoint name/), { target: { value: 'Contoso 365 (Graph)' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save and check' }));
    await screen.findByText('All checks passed.');
    const kept = calls.filter((c) => c.method === 'PATCH')[0]!.body as Record<string, unknown>;
    expect(kept).toMatchObject({ name: 'Contoso 365 (Graph)', protocol: 'graph', appClientId: graph.appClientId });
    expect(kept).not.toHaveProperty('appCertificate');
    expect(kept).not.toHaveProperty('appClientSecret');

    const pem =
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
    fireEvent.change(screen.getByLabelText(/Certificate and private key/), { target: { value: pem } });
    fireEvent.click(screen.getByRole('button', { name: 'Save and check' }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(2));
    expect(calls.filter((c) => c.method === 'PATCH')[1]!.body).toMatchObject({ appCertificate: pem });
  });

  it('shows why an endpoint cannot be deleted', async () => {
    const detail = 'Endpoint "Old IMAP" is used by project "Wave 1": point that project at another endpoint or delete it first.';
    stub({
      'GET /api/v1/endpoints': { status: 200, body: { items: [ENDPOINT] } },
      'DELETE /api/v1/endpoints/e1': { status: 409, body: { code: 'conflict', detail } },
    });
    show();
    fireEvent.click(await screen.findByRole('button', { name: 'Delete Old IMAP' }));
    const dialog = await screen.findByRole('alertdialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete endpoint' }));
    await waitFor(() => within(dialog).getByText(detail));
  });
});
