// Pure logic; .tsx so tab/tsconfig.json type-checks it with the tab's sources.
import { describe, expect, it } from 'vitest';
import type { ItemStatus, Pass } from '../../tab/src/api/types';
import type { GridRow } from '../../tab/src/project/items-view';
import { cutoffValue, defaultItemTypes, itemTypesFor, passRequest, startEntries, stoppablePasses } from '../../tab/src/project/start-rules';

const row = (id: string, status: ItemStatus): GridRow => ({
  id,
  sourceAddress: `${id}@s.test`,
  destinationAddress: `${id}@d.test`,
  status,
  copied: 0,
  failed: 0,
  bytes: 0,
});
const reasonOf = (rows: GridRow[], kind: string) => startEntries(rows).find((e) => e.kind === kind)!.disabledReason;

describe('the Start menu', () => {
  it('offers every pass in the admin words, Retry Errors disabled with the reason when no item has errors', () => {
    const entries = startEntries([row('a', 'Completed'), row('b', 'Not Started')]);
    expect(entries.map((e) => e.label)).toEqual([
      'Verify Credentials',
      'Trial Migration',
      'Pre-Stage Migration',
      'Full Migration',
      'Retry Errors',
    ]);
    expect(entries.filter((e) => e.disabledReason).map((e) => e.kind)).toEqual(['retry-errors']);
    expect(reasonOf([row('a', 'Completed')], 'retry-errors')).toMatch(/Completed With Errors/);
  });

  it('enables Retry Errors when one selected item completed with errors', () => {
    expect(reasonOf([row('a', 'Completed'), row('b', 'Completed With Errors')], 'retry-errors')).toBeUndefined();
  });

  it('disables everything with a reason when there is nothing to run', () => {
    expect(reasonOf([], 'full')).toMatch(/Add items/);
    expect(reasonOf([row('a', 'Running'), row('b', 'Queued')], 'verify')).toMatch(/already in a pass/);
  });

  it('counts an item waiting for its end user as in a pass, as the server does', () => {
    expect(reasonOf([row('a', 'Waiting For End User')], 'full')).toMatch(/already in a pass/);
  });

  it('builds the pass body: cutoff only for pre-stage, startAt as an instant, no itemIds meaning all items', () => {
    expect(cutoffValue('90', '')).toBe('90 days ago');
    expect(cutoffValue('date', '2024-01-31')).toBe('2024-01-31');
    expect(cutoffValue('date', ' ')).toBeUndefined();
    expect(passRequest('prestage', ['a'], '30 days ago', '')).toEqual({ kind: 'prestage', itemIds: ['a'], cutoff: '30 days ago' });
    expect(passRequest('full', [], '30 days ago', '')).toEqual({ kind: 'full' });
    const scheduled = passRequest('verify', [], undefined, '2030-05-01T08:30');
    expect(new Date(scheduled.startAt!).getTime()).toBe(new Date('2030-05-01T08:30').getTime());
  });

  it('offers item types by source: mail only for IMAP, every type for Exchange, content ticked and settings asked for', () => {
    expect(itemTypesFor('imap')).toEqual(['mail']);
    expect(itemTypesFor(undefined)).toEqual(['mail']);
    expect(itemTypesFor('exchange')).toEqual(['mail', 'contacts', 'calendar', 'tasks', 'notes', 'journal', 'rules', 'permissions']);
    expect(defaultItemTypes(itemTypesFor('m365'), 'exchange')).toEqual(['mail', 'contacts', 'calendar', 'tasks', 'notes', 'journal']);
    // An IMAP destination holds mail only: the rest would only fill the error log.
    expect(defaultItemTypes(itemTypesFor('exchange'), 'imap')).toEqual(['mail']);
    // Sent in the API's order whatever the order they were ticked in; Verify copies nothing, so it has none.
    expect(passRequest('full', [], undefined, '', ['calendar', 'mail', 'contacts'])).toEqual({
      kind: 'full',
      itemTypes: ['mail', 'contacts', 'calendar'],
    });
    expect(passRequest('verify', [], undefined, '', ['mail', 'contacts'])).toEqual({ kind: 'verify' });
    expect(passRequest('trial', ['a'], undefined, '')).toEqual({ kind: 'trial', itemIds: ['a'] });
  });

  it('stops only passes still running or scheduled', () => {
    const passes = (['running', 'scheduled', 'completed', 'stopped', 'stopping'] as const).map(
      (status, i) => ({ id: String(i), status }) as Pass,
    );
    expect(stoppablePasses(passes).map((p) => p.id)).toEqual(['0', '1']);
  });
});
