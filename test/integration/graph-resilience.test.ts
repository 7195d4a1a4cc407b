/**
 * The Graph path under Exchange Online's limits, against the Graph test server: never more than
 * 4 requests in flight per mailbox (the 5th would be refused), a 429 storm slept out through
 * Retry-After, a long Retry-After giving the job back to the queue, an import session that
 * expires mid-pass renewed, and nothing lost or copied twice. The import session's URL (it
 * carries a token) appears in no log line and no error row.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';

/** Distinct sizes (mail mostly has them): two items of one size are never imported at once (docs/endpoints.md: crash safety over Graph). */
const mime = (n: number) =>
  Buffer.from(`From: a@contoso.com\r\nSubject: Item\r\nMessage-ID: <r@contoso.com>\r\n\r\n${'x'.repeat(3 * n)}\r\n`);

describe('Exchange Online over Graph under throttling', () => {
  let fx: GraphMigrationFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  const lines: string[] = [];
  const capture = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  const log = { info: capture('info'), warn: capture('warn'), error: capture('error') };

  it('keeps at most 4 requests in flight per mailbox, sleeps out a 429 storm and renews an expired import session: every item once', async () => {
    fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['dan'], log, server: { importSessionLifetimeMs: 60 * 60_000 } });
    const src = fx.sourceOf('dan');
    const folder = fx.graph.seed.folder(src, { displayName: 'Bulk', parent: 'inbox' });
    for (let n = 0; n < 60; n++) fx.graph.seed.message(src, folder, mime(n));
    fx.graph.throttle.responseDelayMs = 20;
    fx.graph.throttle.storm(8, 1);
    const itemId = await fx.addItem('dan');
    // Mid-pass, once 10 items are in, the server's clock passes the import session's expiry: the
    // next import is refused (401) and a new session opened.
    const dest = fx.destinationOf('dan');
    const imported = () => (fx!.graph.read.folder(dest, 'Inbox/Bulk') ? fx!.graph.read.items(dest, 'Inbox/Bulk').length : 0);
    let advanced = false;
    const watch = setInterval(() => {
      if (!advanced && imported() >= 10) {
        advanced = true;
        fx!.graph.clock.advance(2 * 60 * 60_000);
      }
    }, 5);
    const pass = await fx.runPass('full', [itemId]).finally(() => clearInterval(watch));
    expect(advanced).toBe(true);
    expect(pass.summary).toMatchObject({ copied: 60, failed: 0 });
    expect(
      fx.graph.read
        .items(dest, 'Inbox/Bulk')
        .map((i) => i.data.toString('base64'))
        .sort(),
    ).toEqual(
      fx.graph.read
        .items(src, 'Inbox/Bulk')
        .map((i) => i.data.toString('base64'))
        .sort(),
    );
    const { counters } = fx.graph.throttle;
    expect(counters.concurrencyRefusals).toBe(0);
    expect(counters.maxInFlight).toBe(4);
    expect(counters.injected).toBe(8);
    expect(fx.graph.importSessions().length).toBeGreaterThanOrEqual(2);
    const errors = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(JSON.stringify(errors) + lines.join('\n')).not.toMatch(/authtoken|importItem\?/i);
  }, 120_000);

  it('gives the job back to the queue when Retry-After is longer than it may sleep, and finishes later', async () => {
    fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['erin'], connector: { maxInlineWaitMs: 200 } });
    const src = fx.sourceOf('erin');
    for (let n = 0; n < 5; n++) fx.graph.seed.message(src, 'inbox', mime(n));
    fx.graph.throttle.storm(1, 2);
    const itemId = await fx.addItem('erin');
    const started = Date.now();
    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary).toMatchObject({ copied: 5, failed: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(fx.graph.read.items(fx.destinationOf('erin'), 'Inbox')).toHaveLength(5);
  }, 120_000);
});
