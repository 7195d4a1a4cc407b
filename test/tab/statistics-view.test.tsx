// @vitest-environment jsdom
// The Statistics view: charts from the passes the API returns, each an image with a title and
// a description and a data-table toggle; the CSV export fetched with the sign-in token.
import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setTokenSource } from '../../tab/src/api/client';
import type { Pass } from '../../tab/src/api/types';
import { StatisticsView } from '../../tab/src/project/StatisticsView';
import { byteUnit, niceBytesMax, niceMax, passSeries, ticks, timePositions } from '../../tab/src/project/statistics-charts';

globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

const summary = (copied: number, bytes: number, failed = 0) => ({
  items: 1,
  completed: 1,
  completedWithErrors: 0,
  failedItems: 0,
  stopped: 0,
  durationMs: 1,
  copied,
  skipped: 0,
  failed,
  bytes,
});
const pass = (id: string, kind: Pass['kind'], finishedAt: string | undefined, s?: ReturnType<typeof summary>): Pass => ({
  tenantId: 't',
  id,
  version: 1,
  projectId: 'p1',
  kind,
  itemIds: [],
  options: { itemTypes: ['mail'] },
  status: finishedAt ? 'completed' : 'running',
  createdAt: '2026-03-01T08:00:00Z',
  finishedAt,
  summary: s,
});
const PASSES = [
  pass('p-full', 'full', '2026-03-02T10:00:00Z', summary(30, 3 * 1024 * 1024, 2)),
  pass('p-pre', 'prestage', '2026-03-01T10:00:00Z', summary(70, 7 * 1024 * 1024)),
  pass('p-run', 'full', undefined),
];
const STATS = {
  items: 2,
  byStatus: { Completed: 1, 'Completed With Errors': 1 },
  copied: 100,
  skipped: 0,
  failed: 2,
  bytes: 10 * 1024 * 1024,
  durationMs: 1,
  messagesAtDestination: 100,
  currentErrors: 2,
  messagesPerSecond: 5,
  errorsByReason: [{ code: 'too-large', reason: 'Message larger than the destination accepts', count: 2 }],
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  setTokenSource(async () => undefined);
});

describe('statistics charts', () => {
  it('rules: ended passes oldest first with running totals, round axis tops, time positions', () => {
    expect(passSeries(PASSES).map((p) => [p.passId, p.totalCopied, p.totalBytes])).toEqual([
      ['p-pre', 70, 7 * 1024 * 1024],
      ['p-full', 100, 10 * 1024 * 1024],
    ]);
    expect([niceMax(0), niceMax(7), niceMax(100), niceMax(101), niceMax(4_900)]).toEqual([1, 10, 100, 200, 5_000]);
    expect(niceBytesMax(10 * 1024 * 1024)).toBe(10 * 1024 * 1024);
    expect(niceBytesMax(11 * 1024 * 1024)).toBe(20 * 1024 * 1024);
    expect([byteUnit(500), byteUnit(3_000), byteUnit(3 * 1024 ** 3)]).toEqual([1, 1024, 1024 ** 3]);
    expect(ticks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(ticks(20)).toEqual([0, 5, 10, 15, 20]);
    expect(ticks(5)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ticks(2)).toEqual([0, 1, 2]);
    expect(ticks(5 * 1024, 1024)).toEqual([0, 1024, 2048, 3072, 4096, 5120]);
    expect(timePositions(['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', '2026-01-01T04:00:00Z'])).toEqual([0, 0.25, 1]);
    expect(timePositions(['2026-01-01T00:00:00Z'])).toEqual([0.5]);
    expect(timePositions(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'])).toEqual([0, 1]);
  });

  it('draws messages and data over time and errors by reason, each with a title, a description and a data table', async () => {
    const fetch = vi.fn(
      async (url: string) => new Response(JSON.stringify(url.includes('/passes') ? { items: PASSES } : STATS), { status: 200 }),
    );
    vi.stubGlobal('fetch', fetch);
    render(
      <FluentProvider theme={webLightTheme}>
        <StatisticsView projectId="p1" refreshKey="" />
      </FluentProvider>,
    );
    const messages = await screen.findByRole('img', {
      name: /^Messages copied over time Running total of messages copied after each of 2 ended pass\(es\).*100 in all\.$/,
    });
    expect(messages.querySelectorAll('circle')).toHaveLength(2);
    screen.getByRole('img', { name: /^Data copied over time .*10 MiB in all\.$/ });
    const errors = screen.getByRole('img', { name: /^Messages not copied, by reason .*Message larger than the destination accepts \(2\)/ });
    expect(errors.querySelectorAll('rect')).toHaveLength(2);

    fireEvent.click(screen.getByRole('button', { name: 'Data table: Messages copied over time' }));
    const table = screen.getByRole('table', { name: 'Messages copied over time' });
    const rows = within(table)
      .getAllByRole('row')
      .map((r) => r.textContent);
    expect(rows[1]).toMatch(/Pre-Stage Migration707 MiB0707 MiB$/);
    expect(rows[2]).toMatch(/Full Migration303 MiB210010 MiB$/);
    expect(screen.queryByRole('img', { name: /^Messages copied over time/ })).toBeNull();
  });

  it('exports the CSV through fetch with the sign-in token, as a Blob download (a link inside Teams carries no token)', async () => {
    setTokenSource(async () => 'teams-token');
    const fetch = vi.fn(
      async (url: string) =>
        new Response(
          url.includes('format=csv')
            ? 'Source,Copied\nalice@src.test,3\n'
            : JSON.stringify(url.includes('/passes') ? { items: [] } : { ...STATS, errorsByReason: [] }),
          { status: 200 },
        ),
    );
    vi.stubGlobal('fetch', fetch);
    const createObjectURL = vi.fn((_blob: Blob) => 'blob:statistics');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const clicked: HTMLAnchorElement[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    render(
      <FluentProvider theme={webLightTheme}>
        <StatisticsView projectId="p1" refreshKey="" />
      </FluentProvider>,
    );
    await screen.findByText('No pass has ended yet: the charts fill in as passes end.');
    screen.getByText('No errors.');
    fireEvent.click(screen.getByRole('button', { name: 'Export statistics (CSV)' }));
    await waitFor(() => expect(clicked).toHaveLength(1));
    const [url, init] = fetch.mock.calls.find(([u]) => u.includes('format=csv'))! as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/projects/p1/statistics?format=csv');
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer teams-token');
    expect(clicked[0]!.download).toBe('statistics.csv');
    expect(clicked[0]!.href).toBe('blob:statistics');
    expect(await createObjectURL.mock.calls[0]![0].text()).toBe('Source,Copied\nalice@src.test,3\n');
    click.mockRestore();
  });
});
