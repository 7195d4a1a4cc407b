/**
 * EWS → EWS (two EWS test servers, every SOAP body schema-checked): the worker process is
 * SIGKILLed at seeded random moments of one full pass on one mailbox and restarted each time.
 * Then every destination folder holds each source item exactly once, by its MailferrySourceKey marker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import {
  createEwsMigrationFixture,
  expectExactlyOnce,
  folderCounts,
  itemsAt,
  seedMail,
  type EwsMigrationFixture,
} from '../support/ews-migration-fixture.js';
import { adversarialRun, reportCounts } from './adversarial-run.js';
import { runCrashedPass } from './crash-loop.js';

/** The ledger moves 100 items at a time here: enough batches that every kill lands mid-copy. */
const PER_FOLDER = adversarialRun.long ? 2_500 : 300;
/** Slows the destination so kills land mid-copy rather than after it. */
const RESPONSE_DELAY_MS = 60;

describe('Exchange to Exchange with a worker killed again and again', { timeout: adversarialRun.testTimeoutMs }, () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({ source: { ews: {} }, destination: { ews: {} } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it(`resumes after ${adversarialRun.kills} SIGKILLs at random moments with every source item exactly once per folder`, async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('crashloop');
    const inbox = seedMail(fx, sourceUser, 'inbox', PER_FOLDER, 'crash loop inbox');
    const sent = seedMail(fx, sourceUser, 'sentitems', PER_FOLDER, 'crash loop sent');
    const server = fx.destination.ews!;
    server.throttle.responseDelayMs = RESPONSE_DELAY_MS;
    const loop = await runCrashedPass({
      runtime: fx.runtime,
      dataDir: fx.dataDir,
      projectId: fx.projectId,
      itemId,
      total: 2 * PER_FOLDER,
      kills: adversarialRun.kills,
      seed: adversarialRun.seed,
      timeoutMs: adversarialRun.testTimeoutMs / 2,
    });
    expect(loop.last.summary).toMatchObject({ completed: 1, failed: 0 });
    reportCounts('crash loop EWS to EWS', {
      kills: loop.kills,
      passes: loop.passes,
      items: 2 * PER_FOLDER,
      moments: loop.moments.join('; '),
    });
    expect(loop.kills).toBe(adversarialRun.kills);
    expect(folderCounts(server, destUser)).toMatchObject({ Inbox: PER_FOLDER, 'Sent Items': PER_FOLDER });
    expectExactlyOnce(
      itemsAt(server, destUser, 'Inbox'),
      inbox.map((i) => i.id),
    );
    expectExactlyOnce(
      itemsAt(server, destUser, 'Sent Items'),
      sent.map((i) => i.id),
    );
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(2 * PER_FOLDER);
  });
});
