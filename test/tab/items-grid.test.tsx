// @vitest-environment jsdom
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ItemsGrid, ROW_PX } from '../../tab/src/project/ItemsGrid';
import { filterRows, sortRows, toGridRows, type GridRow } from '../../tab/src/project/items-view';
import type { PublicItem } from '../../tab/src/api/types';

const ROWS = 5_000;
const rows: GridRow[] = Array.from({ length: ROWS }, (_, i) => ({
  id: `i${i}`,
  sourceAddress: `user${String(i).padStart(4, '0')}@src.test`,
  destinationAddress: `user${i}@dst.test`,
  status: i % 7 === 0 ? 'Failed' : 'Not Started',
  copied: i,
  failed: i % 3,
  bytes: i * 1_000,
}));

function renderGrid(selected = new Set<string>()) {
  return render(
    <FluentProvider theme={webLightTheme}>
      <ItemsGrid
        rows={rows}
        sort={{ column: 'sourceAddress', direction: 'ascending' }}
        onSort={() => {}}
        selected={selected}
        onSelect={() => {}}
        onOpen={() => {}}
      />
    </FluentProvider>,
  );
}

afterEach(cleanup);

describe('opening an item from the grid', () => {
  it('opens its details without selecting the row (the row toggles selection on click)', () => {
    const onSelect = vi.fn();
    const onOpen = vi.fn();
    render(
      <FluentProvider theme={webLightTheme}>
        <ItemsGrid
          rows={rows.slice(0, 3)}
          sort={{ column: 'sourceAddress', direction: 'ascending' }}
          onSort={() => {}}
          selected={new Set()}
          onSelect={onSelect}
          onOpen={onOpen}
        />
      </FluentProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Open details of user0001@src.test' }));
    expect(onOpen).toHaveBeenCalledWith('i1');
    expect(onSelect).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select user0001@src.test' }));
    expect(onSelect).toHaveBeenCalledWith(new Set(['i1']));
  });
});

describe('the items grid with 5,000 items', () => {
  it('puts only a screenful of rows in the DOM and keeps the full height as padding', () => {
    renderGrid();
    const rendered = document.querySelectorAll('[data-item-id]');
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered.length).toBeLessThan(40);
    expect(screen.getByText('user0000@src.test')).toBeTruthy();
    const body = rendered[0]!.parentElement as HTMLElement;
    expect(parseInt(body.style.paddingBottom, 10)).toBe((ROWS - rendered.length) * ROW_PX);
  });

  it('renders the rows in view after a scroll, with their position for screen readers', async () => {
    renderGrid();
    const body = document.querySelector('[data-item-id]')!.parentElement as HTMLElement;
    body.scrollTop = ROW_PX * 3_000;
    fireEvent.scroll(body);
    expect(await screen.findByText('user3000@src.test')).toBeTruthy();
    expect(screen.queryByText('user0000@src.test')).toBeNull();
    expect(document.querySelector('[data-item-id="i3000"]')!.getAttribute('aria-rowindex')).toBe('3002');
  });
});

describe('the grid rows', () => {
  it('filter by status and search, and sort by a number column with the address as tie-break', () => {
    expect(filterRows(rows, { status: 'Failed' })).toHaveLength(Math.ceil(ROWS / 7));
    expect(filterRows(rows, { search: 'USER0042' }).map((r) => r.id)).toEqual(['i42']);
    const sorted = sortRows(rows.slice(0, 6), { column: 'failed', direction: 'descending' });
    expect(sorted.map((r) => r.failed)).toEqual([2, 2, 1, 1, 0, 0]);
  });

  it('show the pass progress while an item runs, and the item totals otherwise', () => {
    const item = (id: string) =>
      ({
        id,
        sourceAddress: `${id}@s`,
        destinationAddress: `${id}@d`,
        status: 'Running',
        statistics: { copied: 5, skipped: 0, failed: 1, bytes: 50, passes: 1, folders: 1, durationMs: 1 },
      }) as unknown as PublicItem;
    const live = {
      copied: 7,
      skipped: 0,
      failed: 0,
      bytes: 70,
      foldersDone: 1,
      foldersTotal: 4,
      currentFolder: 'INBOX',
      messagesPerSecond: 1,
    };
    const [running, done] = toGridRows(
      [item('a'), item('b')],
      [
        { id: 'a', sourceAddress: 'a@s', status: 'Running', progress: live },
        { id: 'b', sourceAddress: 'b@s', status: 'Completed', progress: live },
      ],
    );
    expect(running).toMatchObject({ status: 'Running', copied: 7, progress: 0.25, currentFolder: 'INBOX' });
    expect(done).toMatchObject({ status: 'Completed', copied: 5, failed: 1, progress: undefined });
  });

  it('show what is true now once a pass ended: messages at the destination and errors in the log, not totals over passes (issue 14 #5)', () => {
    // Two full passes of a 300-message mailbox, then Retry Errors fixed the 3 failures.
    const retried = {
      id: 'r',
      sourceAddress: 'r@s',
      destinationAddress: 'r@d',
      status: 'Completed',
      statistics: {
        copied: 300,
        skipped: 297,
        failed: 3,
        bytes: 3_000,
        passes: 3,
        folders: 1,
        durationMs: 1,
        messagesAtDestination: 300,
        currentErrors: 0,
      },
    } as unknown as PublicItem;
    expect(toGridRows([retried], undefined)[0]).toMatchObject({ copied: 300, failed: 0 });
  });
});

describe('what the console says around the grid (issue 14 #8 and "what an admin expects next")', () => {
  it('says how to add items instead of "0 of 0 item(s) ·", and writes counts in words', async () => {
    const { itemsStatusLine } = await import('../../tab/src/project/items-view');
    expect(itemsStatusLine(0, 0, 0, {})).toBe(
      'No items yet: add mailboxes with Add → Quick Add, or many at once with Add → Bulk Add (CSV).',
    );
    expect(itemsStatusLine(1, 1, 0, { Completed: 1 })).toBe('1 item · Completed: 1');
    expect(itemsStatusLine(2, 3, 1, { Completed: 2, Failed: 1 })).toBe('2 of 3 items shown, 1 selected · Completed: 2, Failed: 1');
  });

  it("shows a failed item's reason under its status, whole in the tooltip", () => {
    const reason = 'The source refused the login: check the password, or that the admin may open this mailbox.';
    render(
      <FluentProvider theme={webLightTheme}>
        <ItemsGrid
          rows={[
            { ...rows[1]!, status: 'Failed', reason },
            { ...rows[2]!, reason: 'stale reason of a pass that later completed', status: 'Completed' },
          ]}
          sort={{ column: 'sourceAddress', direction: 'ascending' }}
          onSort={() => {}}
          selected={new Set()}
          onSelect={() => {}}
          onOpen={() => {}}
        />
      </FluentProvider>,
    );
    const shown = document.querySelectorAll('[data-reason]');
    expect([...shown].map((e) => [e.textContent, e.getAttribute('title')])).toEqual([[reason, reason]]);
  });

  it('never says "every message was copied" of an item whose pass failed before copying', async () => {
    const { emptyErrorLogText } = await import('../../tab/src/project/ItemDetailPanel');
    const run = { passId: 'p', kind: 'full' as const, copied: 0, skipped: 0, failed: 0, bytes: 0 };
    expect(
      emptyErrorLogText({
        status: 'Failed',
        lastRun: { ...run, status: 'Failed', reason: 'Nothing answered on 127.0.0.1 port 1: check the port' },
      }),
    ).toBe(
      'No message was refused, because the last pass stopped before copying: Nothing answered on 127.0.0.1 port 1: check the port. Fix that, then start the pass again.',
    );
    expect(emptyErrorLogText({ status: 'Not Started', lastRun: undefined })).toBe('No pass has run yet.');
    expect(emptyErrorLogText({ status: 'Completed', lastRun: { ...run, kind: 'verify', status: 'Completed' } })).toMatch(
      /only checked the logins/,
    );
    expect(emptyErrorLogText({ status: 'Completed', lastRun: { ...run, status: 'Completed' } })).toBe(
      'No errors: every message of the last passes was copied.',
    );
  });
});
