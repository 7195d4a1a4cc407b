/**
 * An item keeps each ended run with its own figures (issue 14, "what an admin expects next": a
 * pass history per item; the project's is its list of passes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';

describe("an item's pass history", () => {
  let fx: MigrationFixture;
  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['history'] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('lists verify, full and a delta with what each copied, oldest first', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('history');
    await fillMailbox(
      fx.source,
      sourceUser,
      'INBOX',
      [1, 2, 3].map((n) => ({ raw: sampleMessage(n, 2_000) })),
    );
    await fx.runPass('verify', [itemId]);
    await fx.runPass('full', [itemId]);
    await fillMailbox(fx.source, sourceUser, 'INBOX', [{ raw: sampleMessage(4, 2_000) }]);
    await fx.runPass('full', [itemId]);
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.runHistory!.map((r) => [r.kind, r.status, r.copied, r.skipped])).toEqual([
      ['verify', 'Completed', 0, 0],
      ['full', 'Completed', 3, 0],
      ['full', 'Completed', 1, 3],
    ]);
    expect(item.runHistory!.every((r) => Date.parse(r.finishedAt!) >= Date.parse(r.startedAt!))).toBe(true);
    expect(item.runHistory!.at(-1)).toEqual(item.lastRun);
  });
});
