/**
 * An item's run has a real duration: the statistics' messages per second, the CSV's Duration
 * Seconds and `mailferry stats` are computed from it (issue 14: they were always 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';

describe('item durations', () => {
  let fx: MigrationFixture;
  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['timed'] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('records when the run started and finished, and adds the time to the item statistics', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('timed');
    await fillMailbox(
      fx.source,
      sourceUser,
      'INBOX',
      Array.from({ length: 40 }, (_, n) => ({ raw: sampleMessage(n + 1, 20_000) })),
    );
    await fx.runPass('full', [itemId]);
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.lastRun?.finishedAt).toBeDefined();
    expect(Date.parse(item.lastRun!.finishedAt!)).toBeGreaterThan(Date.parse(item.lastRun!.startedAt!));
    expect(item.statistics.durationMs).toBeGreaterThan(0);
    const stats = await fx.runtime.services.statistics.project(LOCAL_TENANT, fx.projectId);
    expect(stats.messagesPerSecond).toBeGreaterThan(0);
  });
});
