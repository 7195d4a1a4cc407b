// @vitest-environment jsdom
// Issue 14: the "… started" notice of one project stayed on screen when the admin went to another
// project (the console kept one ProjectPage, and its state, for every project). Now each project
// opens with its own page: no notice, selection, filter or open item carried over.
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../tab/src/app/App';
import { navigate } from '../../tab/src/app/router';

globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const project = (id: string, name: string) => ({ id, name, sourceEndpointId: 'e1', destinationEndpointId: 'e1', options: {} });
const item = (id: string, projectId: string) => ({
  id,
  projectId,
  sourceAddress: `${id}@src.test`,
  destinationAddress: `${id}@dst.test`,
  status: 'Not Started',
  statistics: { copied: 0, skipped: 0, failed: 0, bytes: 0 },
});

function stubApi() {
  const answers: Record<string, unknown> = {
    'GET /api/v1/projects/p1': project('p1', 'Wave 1'),
    'GET /api/v1/projects/p2': project('p2', 'Wave 2'),
    'GET /api/v1/endpoints': { items: [{ id: 'e1', name: 'Old IMAP', kind: 'imap' }] },
    'GET /api/v1/projects/p1/items': { items: [item('ann', 'p1')] },
    'GET /api/v1/projects/p2/items': { items: [item('bob', 'p2')] },
    'GET /api/v1/projects/p1/progress': { items: [], totals: {} },
    'GET /api/v1/projects/p2/progress': { items: [], totals: {} },
    'POST /api/v1/projects/p1/passes': { pass: { id: 'pass-1', kind: 'full' }, accepted: ['ann'], refused: [] },
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const key = `${init?.method ?? 'GET'} ${url.split('?')[0]}`;
      const body = answers[key];
      return new Response(JSON.stringify(body ?? { title: `no stub for ${key}` }), {
        status: body === undefined ? 404 : key.startsWith('POST') ? 202 : 200,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
}

describe('going from one project to another', () => {
  it("shows the second project without the first one's '… started' notice", async () => {
    stubApi();
    window.history.replaceState(null, '', '/projects/p1');
    render(<App />);
    await screen.findByRole('heading', { name: 'Wave 1' });
    await screen.findByText('ann@src.test');

    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    fireEvent.click(await screen.findByRole('menuitem', { name: 'Full Migration' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start Full Migration' }));
    await screen.findByText('Full Migration started for 1 item(s).');

    act(() => navigate('/projects/p2'));
    await screen.findByRole('heading', { name: 'Wave 2' });
    await screen.findByText('bob@src.test');
    expect(screen.queryByText(/started for/)).toBeNull();
    expect(screen.queryByText('ann@src.test')).toBeNull();

    // Back on the first project the notice does not come back either: it was about that moment.
    act(() => navigate('/projects/p1'));
    await screen.findByRole('heading', { name: 'Wave 1' });
    await waitFor(() => expect(screen.queryByText('bob@src.test')).toBeNull());
    expect(screen.queryByText(/started for/)).toBeNull();
  });
});
