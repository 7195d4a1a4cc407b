// @vitest-environment jsdom
// The wizard's endpoint step for a Microsoft 365 Groups endpoint over Graph, against a stubbed
// fetch: the form asks only for the app, says what the path loses, sends the POST /endpoints
// body the schema takes, and the "Sign in as an administrator" step shows the code and the page,
// waits, and shows who signed in.
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { endpointInput } from '../../api/core/schemas';
import { EndpointStep } from '../../tab/src/wizard/EndpointStep';
import { initialWizard, type EndpointChoice } from '../../tab/src/wizard/wizard-steps';

globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

const APP = '6b2c3d4e-2222-4333-8444-a55566667777';
const PROMPT = {
  userCode: 'BCDFGHJKL',
  verificationUri: 'https://microsoft.com/devicelogin',
  message: 'To sign in, use a web browser…',
  expiresAt: '2026-12-04T21:00:00.000Z',
};

function stubApi() {
  let signIn: unknown = { state: 'none' };
  const calls: { method: string; url: string; body?: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ method, url, body: init?.body ? JSON.parse(init.body as string) : undefined });
    const reply = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (url === '/api/v1/endpoints' && method === 'POST') return reply(201, { id: 'ep-g' });
    if (url.endsWith('/validate')) {
      return reply(200, { ok: false, checks: [{ check: 'Administrator sign-in', status: 'failed', detail: 'nobody has signed in yet' }] });
    }
    if (url.endsWith('/sign-in') && method === 'POST') {
      signIn = { state: 'waiting', prompt: PROMPT };
      return reply(202, signIn);
    }
    if (url.endsWith('/sign-in')) {
      const now = signIn;
      // The administrator signs in at Microsoft's page while the step waits.
      if ((signIn as { state: string }).state === 'waiting')
        signIn = { state: 'signed-in', signedInAs: 'groups-admin@contoso.com', signedInAt: '2026-12-04T20:00:00.000Z' };
      return reply(200, now);
    }
    return reply(404, { title: 'not stubbed' });
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

function Step() {
  const [choice, setChoice] = useState<EndpointChoice>({ ...initialWizard().destination, mode: 'new' });
  return <EndpointStep side="destination" choice={choice} endpoints={[]} onChange={setChoice} onEndpointCreated={() => {}} />;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('a Microsoft 365 Groups endpoint over Microsoft Graph in the wizard', () => {
  it('states what the path loses, saves the app only, then signs the administrator in with a device code', async () => {
    const calls = stubApi();
    render(
      <FluentProvider theme={webLightTheme}>
        <Step />
      </FluentProvider>,
    );
    fireEvent.click(screen.getByRole('radio', { name: 'Microsoft 365 Groups' }));
    // EWS first: the faithful path, with its admin login.
    expect(screen.getByRole('radio', { name: /^EWS \(keeps everything/ })).toHaveProperty('checked', true);
    screen.getByLabelText(/^Admin login\s*\*?$/);
    fireEvent.click(screen.getByRole('radio', { name: /^Microsoft Graph conversation posts/ }));
    expect(screen.queryByLabelText(/^Admin login\s*\*?$/)).toBeNull();
    expect(screen.queryByLabelText(/Client secret/)).toBeNull();
    const losses = screen.getByLabelText('What this path loses');
    for (const said of [
      /posted by the administrator who signs in/,
      /kept only as text/,
      /Attachments are not copied/,
      /Calendar items are not copied/,
      /every message becomes a conversation of its own/,
    ]) {
      within(losses).getByText(said);
    }
    screen.getByText(/Allow public client flows.*Group\.ReadWrite\.All/);

    fireEvent.click(screen.getByRole('button', { name: 'Save and Go to Summary' }));
    await screen.findByText(/Give the Application \(client\) ID/);
    fireEvent.change(screen.getByLabelText(/Endpoint name/), { target: { value: 'Team groups' } });
    fireEvent.change(screen.getByLabelText(/Application \(client\) ID/), { target: { value: APP } });
    fireEvent.change(screen.getByLabelText(/Directory \(tenant\) ID/), { target: { value: 'contoso.onmicrosoft.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save and Go to Summary' }));
    await screen.findByText('nobody has signed in yet');
    const body = calls.find((c) => c.method === 'POST' && c.url === '/api/v1/endpoints')!.body;
    expect(body).toEqual({
      name: 'Team groups',
      kind: 'm365-group',
      host: '',
      protocol: 'graph',
      appClientId: APP,
      appTenantId: 'contoso.onmicrosoft.com',
      domains: [],
    });
    expect(endpointInput.safeParse(body).success).toBe(true);

    fireEvent.click(await screen.findByRole('button', { name: 'Sign in as an administrator' }));
    expect((await screen.findByLabelText('Sign-in code')).textContent).toBe('BCDFGHJKL');
    expect(screen.getByRole('link', { name: 'https://microsoft.com/devicelogin' }).getAttribute('href')).toBe(
      'https://microsoft.com/devicelogin',
    );
    screen.getByText(/Waiting for the sign-in/);
    await screen.findByText('Signed in as groups-admin@contoso.com on 2026-12-04.', {}, { timeout: 6_000 });
    expect(screen.queryByLabelText('Sign-in code')).toBeNull();
    expect(calls.filter((c) => c.url === '/api/v1/endpoints/ep-g/sign-in' && c.method === 'POST')).toHaveLength(1);
  }, 20_000);
});
