// @vitest-environment jsdom
// Autodiscover Items and Edit item against a stubbed fetch: what is asked, what is sent, and
// where the API's answers (501 reasons, field problems) are shown.
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PublicItem } from '../../tab/src/api/types';
import { bareDomain, discoveredRows, discoverImportBody, domainProblem, likelyDomain } from '../../tab/src/project/autodiscover';
import { AutodiscoverDialog } from '../../tab/src/project/AutodiscoverDialog';
import { itemForm, itemFormProblems, itemPatchBody } from '../../tab/src/project/item-edit';
import { ItemDetailPanel } from '../../tab/src/project/ItemDetailPanel';
import { StartMenu } from '../../tab/src/project/StartMenu';

globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

type Route = (method: string, url: string, body: unknown) => { status: number; body?: unknown };
function stubApi(route: Route) {
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const sent = typeof init?.body === 'string' && init.body.startsWith('{') ? JSON.parse(init.body) : init?.body;
    const answer = route(init?.method ?? 'GET', url, sent);
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}
const show = (ui: ReactElement) => render(<FluentProvider theme={webLightTheme}>{ui}</FluentProvider>);
const callsTo = (fetch: ReturnType<typeof stubApi>, method: string, url: string) =>
  fetch.mock.calls.filter(([u, init]) => u === url && (init?.method ?? 'GET') === method);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('Autodiscover Items', () => {
  it('rules: already-added mailboxes are not offered, the destination keeps the local part, the import names the picks', () => {
    expect(discoveredRows(['a@src.test', 'B@src.test'], ['b@src.test'])).toEqual([
      { address: 'a@src.test', already: false },
      { address: 'B@src.test', already: true },
    ]);
    expect(bareDomain(' @Dst.Test ')).toBe('dst.test');
    expect(domainProblem('')).toMatch(/Give the destination domain/);
    expect(domainProblem('dst')).toMatch(/domain such as contoso\.com/);
    expect(domainProblem('@dst.test')).toBeUndefined();
    expect(likelyDomain(['a@x.test', 'b@y.test', 'c@y.test'])).toBe('y.test');
    expect(discoverImportBody(['a@src.test', 'o"neil@src.test'], ' @Dst.Test')).toEqual({
      import: true,
      destinationDomain: 'dst.test',
      addresses: ['a@src.test', 'o"neil@src.test'],
    });
  });

  it('shows the API’s reason when the source cannot be discovered (IMAP answers 501)', async () => {
    const reason =
      "Autodiscover is not possible for imap endpoints: IMAP has no command that lists other users' mailboxes. Use Bulk Add with a CSV instead.";
    const fetch = stubApi(() => ({ status: 501, body: { code: 'unsupported', detail: reason, field: 'sourceEndpointId' } }));
    show(<AutodiscoverDialog projectId="p1" existingSources={[]} suggestedDomain="" onClose={() => {}} onAdded={() => {}} />);
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText(reason);
    within(dialog).getByText('Autodiscover is not available for this project');
    expect(within(dialog).queryByRole('button', { name: /^Add/ })).toBeNull();
    expect(callsTo(fetch, 'POST', '/api/v1/projects/p1/items/discover')).toHaveLength(1);
  });

  it('lists the mailboxes with checkboxes, and imports only the picked ones at the destination domain', async () => {
    const found = ['alice@src.test', 'bob@src.test', 'carol@src.test'];
    const fetch = stubApi((_method, _url, body) =>
      (body as { import?: boolean } | undefined)?.import
        ? { status: 200, body: { found, added: 1, alreadyThere: 0 } }
        : { status: 200, body: { found } },
    );
    const onAdded = vi.fn();
    show(
      <AutodiscoverDialog
        projectId="p1"
        existingSources={['carol@src.test']}
        suggestedDomain="dst.test"
        onClose={() => {}}
        onAdded={onAdded}
      />,
    );
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText('Found 3 mailbox(es), 1 already in the project.');
    expect((within(dialog).getByRole('checkbox', { name: 'Add carol@src.test' }) as HTMLInputElement).disabled).toBe(true);
    within(dialog).getByText('Already an item of this project');
    within(dialog).getByText('alice@dst.test');
    // Both new ones are picked at first; the admin leaves Bob out and changes the domain.
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Add bob@src.test' }));
    fireEvent.change(within(dialog).getByLabelText(/Destination domain/), { target: { value: 'nope' } });
    within(dialog).getByText('Must be a domain such as contoso.com.');
    fireEvent.change(within(dialog).getByLabelText(/Destination domain/), { target: { value: '@new.test' } });
    within(dialog).getByText('alice@new.test');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add 1 item(s)' }));
    await within(dialog).findByText('Added 1 item(s).');
    const [list, imported] = callsTo(fetch, 'POST', '/api/v1/projects/p1/items/discover');
    expect(JSON.parse(list![1]!.body as string)).toEqual({});
    expect(JSON.parse(imported![1]!.body as string)).toEqual({
      import: true,
      destinationDomain: 'new.test',
      addresses: ['alice@src.test'],
    });
    expect(onAdded).toHaveBeenCalledOnce();
  });
});

const item = (patch: Partial<PublicItem> = {}): PublicItem => ({
  tenantId: 't',
  id: 'i1',
  version: 3,
  projectId: 'p1',
  sourceAddress: 'alice@src.test',
  destinationAddress: 'alice@dst.test',
  destinationLogin: 'alice-dst',
  options: ['AllowQuoteInFolder=1', 'ModernAuthClientSecretImport=********'],
  status: 'Completed',
  statistics: { copied: 3, skipped: 0, failed: 0, bytes: 3_000, passes: 1, folders: 1, durationMs: 10 },
  createdAt: '2026-01-01T00:00:00Z',
  endUserCredentials: false,
  hasSourcePassword: false,
  hasDestinationPassword: true,
  ...patch,
});

describe('Edit item', () => {
  it('rules: only what changed is sent, an empty password keeps the stored one, masked options are sent back as they are', () => {
    const current = item();
    const form = itemForm(current);
    expect(form.destinationPassword).toBe('');
    expect(itemPatchBody(current, form)).toEqual({});
    expect(
      itemPatchBody(current, { ...form, destinationAddress: ' Alice@New.Test ', options: `${form.options}\n\nFolderFilter=^Junk$ ` }),
    ).toEqual({
      destinationAddress: 'alice@new.test',
      options: ['AllowQuoteInFolder=1', 'ModernAuthClientSecretImport=********', 'FolderFilter=^Junk$'],
    });
    expect(itemPatchBody(current, { ...form, sourceLogin: 'alice', sourcePassword: 'pw' })).toEqual({
      sourceLogin: 'alice',
      sourcePassword: 'pw',
    });
    // Emptying a login name clears that side's own login and password (the endpoint's admin login is used).
    expect(itemPatchBody(current, { ...form, destinationLogin: ' ' })).toEqual({ destinationLogin: null, destinationPassword: null });
    expect(itemFormProblems({ ...form, destinationAddress: 'x' })).toEqual({
      destinationAddress: 'Give an e-mail address such as user@contoso.com.',
    });
  });

  it('turns end-user credentials on and off (issue 14 #1)', () => {
    const current = item();
    expect(itemForm(current).endUserCredentials).toBe(false);
    expect(itemPatchBody(current, { ...itemForm(current), endUserCredentials: true })).toEqual({ endUserCredentials: true });
    const waiting = item({ endUserCredentials: true });
    expect(itemPatchBody(waiting, { ...itemForm(waiting), endUserCredentials: false })).toEqual({ endUserCredentials: false });
  });

  it('edits from the item panel: secrets masked, the API’s option problem under the options field, then saved', async () => {
    let saved = item();
    let refuse = true;
    const fetch = stubApi((method, url, body) => {
      if (url === '/api/v1/items/i1' && method === 'PATCH') {
        if (refuse)
          return {
            status: 400,
            body: { code: 'validation', detail: 'FolderFilter: "(unclosed" is not a valid regular expression', field: 'options[2]' },
          };
        saved = { ...saved, ...(body as Partial<PublicItem>), hasSourcePassword: true };
        return { status: 200, body: saved };
      }
      if (url === '/api/v1/items/i1') return { status: 200, body: saved };
      if (url.startsWith('/api/v1/items/i1/statistics'))
        return { status: 200, body: { ...saved.statistics, messagesPerSecond: 1, folders: [], errorsByReason: [] } };
      return { status: 200, body: { items: [] } };
    });
    const onItemChanged = vi.fn();
    show(<ItemDetailPanel itemId="i1" refreshKey="" onClose={() => {}} onItemChanged={onItemChanged} />);
    await screen.findByText(/Source: admin login; destination: alice-dst with a stored password/);
    fireEvent.click(screen.getByRole('button', { name: 'Edit item' }));
    const form = await screen.findByRole('form', { name: 'Edit item' });
    const options = within(form).getByLabelText('Item support options') as HTMLTextAreaElement;
    expect(options.value).toBe('AllowQuoteInFolder=1\nModernAuthClientSecretImport=********');
    const destinationPassword = within(form).getByLabelText('Destination password') as HTMLInputElement;
    expect(destinationPassword.type).toBe('password');
    expect(destinationPassword.value).toBe('');
    within(form).getByText('A password is stored (never shown). Leave empty to keep it.');
    expect(within(form).getByRole('button', { name: 'Save item' }).hasAttribute('disabled')).toBe(true);

    fireEvent.change(options, { target: { value: `${options.value}\nFolderFilter=(unclosed` } });
    fireEvent.change(within(form).getByLabelText('Source password'), { target: { value: 'Src-Pw1' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save item' }));
    await within(form).findByText('Check support options, line 3');
    expect(within(form).getAllByText(/is not a valid regular expression/)).toHaveLength(2);
    expect(options.getAttribute('aria-invalid')).toBe('true');
    expect(JSON.parse(callsTo(fetch, 'PATCH', '/api/v1/items/i1')[0]![1]!.body as string)).toEqual({
      sourcePassword: 'Src-Pw1',
      options: ['AllowQuoteInFolder=1', 'ModernAuthClientSecretImport=********', 'FolderFilter=(unclosed'],
    });

    refuse = false;
    fireEvent.change(options, { target: { value: 'AllowQuoteInFolder=1\nModernAuthClientSecretImport=********\nFolderFilter=^Junk$' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save item' }));
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Edit item' })).toBeNull());
    await screen.findByText(/Source: the address as login with a stored password/);
    expect(onItemChanged).toHaveBeenCalledOnce();
  });
});

describe('the item panel', () => {
  it('names the last pass as the Start menu does, and shows each folder with its counts', async () => {
    const done = item({
      lastRun: {
        passId: 'p',
        kind: 'full',
        status: 'Completed',
        finishedAt: '2026-01-01T10:00:00Z',
        copied: 4,
        skipped: 0,
        failed: 0,
        bytes: 1_600,
      },
    });
    stubApi((_method, url) => {
      if (url === '/api/v1/items/i1') return { status: 200, body: done };
      if (url.startsWith('/api/v1/items/i1/statistics')) {
        return {
          status: 200,
          body: {
            ...done.statistics,
            messagesPerSecond: 1,
            errorsByReason: [],
            folders: [
              { path: 'Inbox', copied: 2, skipped: 0, failed: 0, bytes: 1_000 },
              { path: 'Contacts', copied: 1, skipped: 0, failed: 0, bytes: 300 },
            ],
          },
        };
      }
      return { status: 200, body: { items: [] } };
    });
    show(<ItemDetailPanel itemId="i1" refreshKey="" onClose={() => {}} />);
    await screen.findByText(/^Full Migration, Completed, ended /);
    const folders = screen.getByRole('table', { name: 'Folders' });
    expect(
      within(folders)
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.textContent),
    ).toEqual(['Inbox200', 'Contacts100']);
    screen.getByText('No errors: every message of the last passes was copied.');
  });
});

describe('Start ▸ item types', () => {
  const rows = [
    {
      id: 'i1',
      sourceAddress: 'ann@src.test',
      destinationAddress: 'ann@dst.test',
      status: 'Not Started' as const,
      copied: 0,
      failed: 0,
      bytes: 0,
    },
  ];
  const open = async (label: string) => {
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    fireEvent.click(await screen.findByRole('menuitem', { name: label }));
    return screen.findByRole('dialog');
  };

  it('offers an Exchange source its item types, refuses none, and sends the ticked ones', async () => {
    const fetch = stubApi(() => ({ status: 202, body: { pass: { kind: 'full' }, accepted: ['i1'], refused: [] } }));
    show(<StartMenu projectId="p1" targets={rows} selectedIds={[]} sourceKind="exchange" onStarted={() => {}} />);
    const dialog = await open('Full Migration');
    const types = within(dialog).getByRole('group', { name: 'Item types' });
    const box = (name: string) => within(types).getByRole('checkbox', { name }) as HTMLInputElement;
    const all = ['Mail', 'Contacts', 'Calendar', 'Tasks', 'Notes', 'Journal', 'Rules and automatic replies', 'Folder permissions'];
    expect(within(types).getAllByRole('checkbox')).toHaveLength(all.length);
    expect(all.filter((name) => box(name).checked)).toEqual(['Mail', 'Contacts', 'Calendar', 'Tasks', 'Notes', 'Journal']);
    for (const name of ['Mail', 'Contacts', 'Calendar', 'Tasks', 'Notes', 'Journal']) fireEvent.click(box(name));
    within(dialog).getByText('Choose at least one item type.');
    expect(within(dialog).getByRole('button', { name: 'Start Full Migration' }).hasAttribute('disabled')).toBe(true);
    fireEvent.click(box('Calendar'));
    fireEvent.click(box('Mail'));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start Full Migration' }));
    await waitFor(() => expect(callsTo(fetch, 'POST', '/api/v1/projects/p1/passes')).toHaveLength(1));
    expect(JSON.parse(callsTo(fetch, 'POST', '/api/v1/projects/p1/passes')[0]![1]!.body as string)).toEqual({
      kind: 'full',
      itemTypes: ['mail', 'calendar'],
    });
  });

  it('asks nothing for an IMAP source (mail only) nor for Verify Credentials', async () => {
    stubApi(() => ({ status: 202, body: {} }));
    show(<StartMenu projectId="p1" targets={rows} selectedIds={[]} sourceKind="imap" onStarted={() => {}} />);
    expect(within(await open('Full Migration')).queryByRole('group', { name: 'Item types' })).toBeNull();
    cleanup();
    show(<StartMenu projectId="p1" targets={rows} selectedIds={[]} sourceKind="exchange" onStarted={() => {}} />);
    expect(within(await open('Verify Credentials')).queryByRole('group', { name: 'Item types' })).toBeNull();
    cleanup();
    // Exchange → IMAP: every type is offered, mail alone is ticked, and the dialog says why.
    show(<StartMenu projectId="p1" targets={rows} selectedIds={[]} sourceKind="exchange" destinationKind="imap" onStarted={() => {}} />);
    const dialog = await open('Full Migration');
    const types = within(dialog).getByRole('group', { name: 'Item types' });
    expect(
      within(types)
        .getAllByRole('checkbox')
        .filter((b) => (b as HTMLInputElement).checked),
    ).toHaveLength(1);
    expect((within(types).getByRole('checkbox', { name: 'Mail' }) as HTMLInputElement).checked).toBe(true);
    within(types).getByText(/holds mail only/);
  });
});
