/**
 * EWS → EWS (two EWS test servers, every SOAP body schema-checked): the worker process is
 * SIGKILLed at seeded random moments of one full pass on one mailbox and restarted each time.
 * Then every destination folder holds each source item exactly once, by its MailferrySourceKey marker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { createEwsMigrationFixture, expectExactlyOnce, folderCounts, itemsAt, seedMail, type EwsMigrationFixture } from '../support/ews-migration-fixture.js';
import { waitForPass } from '../support/migration-fixture.js';
import { startWorker, stopWorker } from '../support/worker-child.js';
import { adversarialRun, reportCounts } from './adversarial-run.js';
import { crashLoop } from './crash-loop.js';

const PER_FOLDER = adversarialRun.long ? 1_500 : 300;
/** Slows the destination so kills land mid-copy rather than after it. */
const RESPONSE_DELAY_MS = 20;

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
    const startFull = async () => (await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, { kind: 'full', itemIds: [itemId], itemTypes: ['mail'] })).pass.id;
    let passId = await startFull();
    const copied = () => fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId);
    const running = async () => (await fx.runtime.services.passes.getPass(LOCAL_TENANT, passId)).status !== 'completed';
    const startNextPass = async () => void (passId = await startFull());
    const describe = async () => {
      const [pass, item, dead] = await Promise.all([fx.runtime.services.passes.getPass(LOCAL_TENANT, passId), fx.runtime.services.items.getItem(LOCAL_TENANT, itemId), fx.runtime.queue.deadLetters(LOCAL_TENANT)]);
      return `pass ${pass.status}, item ${item.status} ${item.lastRun?.reason ?? ''}, dead letters: ${dead.map((d) => d.reason).join('; ')}`;
    };

    const loop = await crashLoop({ dataDir: fx.dataDir, kills: adversarialRun.kills, seed: adversarialRun.seed, total: 2 * PER_FOLDER, copied, running, startNextPass, describe });
    server.throttle.responseDelayMs = 0;
    const last = startWorker(fx.dataDir);
    try {
      const done = await waitForPass(fx.runtime, passId, adversarialRun.testTimeoutMs / 2);
      expect(done.summary).toMatchObject({ completed: 1, failed: 0 });
    } finally {
      await stopWorker(last);
    }
    reportCounts('crash loop EWS to EWS', { kills: loop.kills, passes: loop.passes, items: 2 * PER_FOLDER, moments: loop.moments.join('; ') });
    expect(loop.kills).toBe(adversarialRun.kills);
    expect(folderCounts(server, destUser)).toMatchObject({ Inbox: PER_FOLDER, 'Sent Items': PER_FOLDER });
    expectExactlyOnce(itemsAt(server, destUser, 'Inbox'), inbox.map((i) => i.id));
    expectExactlyOnce(itemsAt(server, destUser, 'Sent Items'), sent.map((i) => i.id));
    expect(await copied()).toBe(2 * PER_FOLDER);
  });
});
