// Pure logic; .tsx so tab/tsconfig.json type-checks it with the tab's sources.
import { describe, expect, it } from 'vitest';
import type { ItemStatus } from '../../tab/src/api/types';
import {
  actionScope,
  changeDomainRequest,
  emptyScopeReason,
  MAX_DELIVERY_ITEMS,
  mergeReports,
  notifyUsersRequests,
  placeholderProblem,
  reportText,
  resendPlan,
  scopeText,
  unknownPlaceholders,
} from '../../tab/src/project/admin-actions';
import type { GridRow } from '../../tab/src/project/items-view';

const row = (id: string, status: ItemStatus = 'Not Started', passId?: string): GridRow => ({
  id,
  sourceAddress: `${id}@s.test`,
  destinationAddress: `${id}@d.test`,
  status,
  copied: 0,
  failed: 0,
  bytes: 0,
  passId,
});
const rows = [
  row('a'),
  row('b', 'Waiting For End User', 'p1'),
  row('c', 'Waiting For End User', 'p2'),
  row('d', 'Waiting For End User', 'p1'),
];

describe('the scope of an admin action', () => {
  it('is the selection, or every item when nothing is selected, and the dialog says which', () => {
    const selected = actionScope(rows, [rows[0]!]);
    expect(selected).toEqual({ targets: [rows[0]], selection: true });
    expect(scopeText(selected)).toBe('the 1 selected item(s)');
    const all = actionScope(rows, []);
    expect(all).toEqual({ targets: rows, selection: false });
    expect(scopeText(all)).toBe('all 4 item(s) of the project (none is selected)');
  });

  it('needs at least one item', () => {
    expect(emptyScopeReason(actionScope([], []))).toMatch(/Add items/);
    expect(emptyScopeReason(actionScope(rows, []))).toBeUndefined();
  });
});

describe('Change Domain', () => {
  it('names the selected items, and leaves itemIds out for all items', () => {
    expect(changeDomainRequest(actionScope(rows, [rows[1]!, rows[3]!]), 'destination', ' contoso.onmicrosoft.com ', 'contoso.com')).toEqual(
      { side: 'destination', fromDomain: 'contoso.onmicrosoft.com', toDomain: 'contoso.com', itemIds: ['b', 'd'] },
    );
    expect(changeDomainRequest(actionScope(rows, []), 'source', 'old.test', 'new.test')).toEqual({
      side: 'source',
      fromDomain: 'old.test',
      toDomain: 'new.test',
    });
  });

  it('takes a pasted "@domain" as the domain the API expects', () => {
    expect(changeDomainRequest(actionScope(rows, []), 'source', '@old.test', '@new.test')).toMatchObject({
      fromDomain: 'old.test',
      toDomain: 'new.test',
    });
  });
});

describe('Notify users', () => {
  it('always sends itemIds (the API requires them), trimmed text and the recipient side', () => {
    expect(
      notifyUsersRequests(actionScope(rows, [rows[2]!]), ' Hello ', ' Your mailbox {{destinationAddress}} is ready \n', 'source'),
    ).toEqual([{ itemIds: ['c'], subject: 'Hello', message: 'Your mailbox {{destinationAddress}} is ready', recipient: 'source' }]);
    expect(notifyUsersRequests(actionScope(rows, []), 's', 'm', 'destination')[0]!.itemIds).toEqual(['a', 'b', 'c', 'd']);
  });

  it('splits "all items" into requests of at most 1,000 items', () => {
    const many = Array.from({ length: 2_500 }, (_, i) => row(`i${i}`));
    const requests = notifyUsersRequests(actionScope(many, []), 's', 'm', 'destination');
    expect(requests.map((r) => r.itemIds.length)).toEqual([MAX_DELIVERY_ITEMS, MAX_DELIVERY_ITEMS, 500]);
    expect(requests.flatMap((r) => r.itemIds)).toEqual(many.map((r) => r.id));
    expect(notifyUsersRequests(actionScope([], []), 's', 'm', 'destination')).toEqual([]);
  });

  it('flags unknown placeholders before sending, as the API would', () => {
    expect(unknownPlaceholders('Hi {{sourceAddress}}, {{ projectName }}, {{destinationAddress}}')).toEqual([]);
    expect(unknownPlaceholders('{{sourceAdress}} {{name}} {{name}}')).toEqual(['sourceAdress', 'name']);
    expect(placeholderProblem('Hi {{user}}')).toBe(
      'Unknown placeholder {{user}}; use {{sourceAddress}}, {{destinationAddress}}, {{projectName}}.',
    );
    expect(placeholderProblem('no placeholders')).toBeUndefined();
  });
});

describe('Resend credential links', () => {
  it('is disabled with the reason when no target is waiting for its end user', () => {
    expect(resendPlan(actionScope([], [])).disabledReason).toMatch(/Add items/);
    expect(resendPlan(actionScope(rows, [rows[0]!])).disabledReason).toBe('None of the selected items is "Waiting For End User".');
    expect(resendPlan(actionScope([row('a'), row('b', 'Completed', 'p1')], [])).disabledReason).toMatch(
      /^No item is "Waiting For End User"/,
    );
    // A waiting item without a pass cannot be addressed by the per-pass route.
    expect(resendPlan(actionScope([row('x', 'Waiting For End User')], [])).disabledReason).toBeDefined();
  });

  it('sends the selected waiting items, grouped by their pass', () => {
    const plan = resendPlan(actionScope(rows, [rows[0]!, rows[1]!, rows[2]!, rows[3]!]));
    expect(plan.disabledReason).toBeUndefined();
    expect(plan.waiting).toBe(3);
    expect(plan.requests).toEqual([
      { passId: 'p1', body: { itemIds: ['b', 'd'] } },
      { passId: 'p2', body: { itemIds: ['c'] } },
    ]);
  });

  it("lets the API pick each pass's waiting items when nothing is selected", () => {
    const plan = resendPlan(actionScope(rows, []));
    expect(plan.waiting).toBe(3);
    expect(plan.requests).toEqual([
      { passId: 'p1', body: {} },
      { passId: 'p2', body: {} },
    ]);
  });
});

describe('delivery reports', () => {
  it('add up over requests and keep every per-item row', () => {
    const merged = mergeReports([
      { sent: 1, failed: 0, results: [{ itemId: 'a', address: 'a@d.test', status: 'sent' }] },
      { sent: 0, failed: 1, results: [{ itemId: 'b', address: 'b@d.test', status: 'failed', reason: 'mailbox full' }] },
    ]);
    expect(merged).toEqual({
      sent: 1,
      failed: 1,
      results: [
        { itemId: 'a', address: 'a@d.test', status: 'sent' },
        { itemId: 'b', address: 'b@d.test', status: 'failed', reason: 'mailbox full' },
      ],
    });
    expect(reportText(merged)).toBe('Sent 1, failed 1.');
  });
});
