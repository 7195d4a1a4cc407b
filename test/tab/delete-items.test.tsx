// @vitest-environment jsdom
// Issue 14 #2: Delete items from the grid's selection: a confirmation naming how many and which,
// items whose pass runs refused with the reason, and the API's own refusal shown.
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeleteItemsDialog } from '../../tab/src/project/DeleteItemsDialog';
import type { GridRow } from '../../tab/src/project/items-view';

globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const row = (id: string, status: GridRow['status']): GridRow => ({
  id,
  sourceAddress: `${id}@src.test`,
  destinationAddress: `${id}@dst.test`,
  status,
  copied: 0,
  failed: 0,
  bytes: 0,
});

describe('Delete items', () => {
  it('names how many and which, leaves a running item out with its reason, and deletes the others', async () => {
    const deleted: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (init?.method === 'DELETE') deleted.push(url);
        return new Response(null, { status: 204 });
      }),
    );
    const onDeleted = vi.fn();
    const onClose = vi.fn();
    render(
      <FluentProvider theme={webLightTheme}>
        <DeleteItemsDialog
          rows={[row('alice', 'Completed'), row('bob', 'Running'), row('carol', 'Failed')]}
          onClose={onClose}
          onDeleted={onDeleted}
        />
      </FluentProvider>,
    );
    const dialog = await screen.findByRole('alertdialog');
    within(dialog).getByText('Delete 2 items?');
    expect(
      within(within(dialog).getByRole('list', { name: 'Items to delete' }))
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['alice@src.test', 'carol@src.test']);
    within(dialog).getByText('bob@src.test is "Running": stop its pass before deleting it.');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete 2 items' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(deleted).toEqual(['/api/v1/items/alice', '/api/v1/items/carol']);
    expect(onDeleted).toHaveBeenCalled();
  });

  it("shows the API's refusal when an item started running meanwhile", async () => {
    const detail = 'carol@src.test is "Queued": stop its pass before deleting it.';
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ code: 'conflict', detail }), { status: 409 })),
    );
    render(
      <FluentProvider theme={webLightTheme}>
        <DeleteItemsDialog rows={[row('carol', 'Failed')]} onClose={() => {}} onDeleted={() => {}} />
      </FluentProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Delete 1 item' }));
    await screen.findByText(detail);
  });
});

describe("problems in the reader's words (issue 14 #7)", () => {
  it("Quick Add shows each field's own sentence under it, with no bar repeating API field names", async () => {
    const { QuickAddDialog } = await import('../../tab/src/project/QuickAddDialog');
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(
            JSON.stringify({
              code: 'validation',
              field: 'sourceAddress',
              detail: 'sourceAddress: is required; destinationAddress: is required',
              errors: [
                { field: 'sourceAddress', message: 'This is required.' },
                { field: 'destinationAddress', message: 'Must be an e-mail address such as user@contoso.com.' },
              ],
            }),
            { status: 400 },
          ),
      ),
    );
    render(
      <FluentProvider theme={webLightTheme}>
        <QuickAddDialog projectId="p1" onClose={() => {}} onAdded={() => {}} />
      </FluentProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Add item' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText('This is required.');
    within(dialog).getByText('Must be an e-mail address such as user@contoso.com.');
    expect(within(dialog).queryByText(/sourceAddress|destinationAddress/)).toBeNull();
    expect(within(dialog).queryByText('Please check')).toBeNull();
  });

  it('Quick Add lets the admin give the source login of an item whose user confirms the password', async () => {
    const sent: unknown[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init?: RequestInit) => {
        sent.push(JSON.parse(String(init?.body)));
        return new Response('{}', { status: 201 });
      }),
    );
    const { QuickAddDialog } = await import('../../tab/src/project/QuickAddDialog');
    render(
      <FluentProvider theme={webLightTheme}>
        <QuickAddDialog projectId="p1" onClose={() => {}} onAdded={() => {}} />
      </FluentProvider>,
    );
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('checkbox'));
    fireEvent.change(within(dialog).getByLabelText(/^Source email/), { target: { value: 'frank@contoso.test' } });
    fireEvent.change(within(dialog).getByLabelText(/^Destination email/), { target: { value: 'frank@fabrikam.test' } });
    fireEvent.change(within(dialog).getByLabelText(/^Source login name/), { target: { value: 'CONTOSO\\frank' } });
    expect(within(dialog).queryByLabelText(/^Source password/)).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add item' }));
    await waitFor(() =>
      expect(sent).toEqual([
        {
          sourceAddress: 'frank@contoso.test',
          destinationAddress: 'frank@fabrikam.test',
          sourceLogin: 'CONTOSO\\frank',
          endUserCredentials: true,
        },
      ]),
    );
  });
});
