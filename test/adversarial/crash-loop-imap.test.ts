/**
 * IMAP → IMAP (two real Dovecots): the worker process is SIGKILLed at seeded random moments of
 * one full pass on one mailbox, restarted each time, and a last worker finishes the pass. Then
 * every folder holds exactly the source's messages: same bytes, flags and dates, none twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type FillMessage } from '../support/dovecot.js';
import { countsOf, expectIdentical, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';
import { adversarialRun, reportCounts } from './adversarial-run.js';
import { runCrashedPass } from './crash-loop.js';

const FOLDERS = { INBOX: 'INBOX', 'Work/Reports': 'Work.Reports', 'Archive/2023': 'Archive.2023' };
/** Enough messages that every kill of the run can land mid-copy. */
const PER_FOLDER = adversarialRun.long ? 1_500 : 300;

const messages = (prefix: string, count: number): FillMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    raw: sampleMessage(i, 1_500, `${prefix} ${i}`),
    flags: i % 3 ? ['\\Seen'] : ['\\Flagged'],
    internalDate: new Date(Date.UTC(2023, i % 12, 1 + (i % 28))),
  }));

describe('IMAP to IMAP with a worker killed again and again', { timeout: adversarialRun.testTimeoutMs }, () => {
  let fx: MigrationFixture;
  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['crashloop'] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it(`resumes after ${adversarialRun.kills} SIGKILLs at random moments with exact per-folder counts, nothing twice, nothing lost`, async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('crashloop');
    for (const folder of Object.keys(FOLDERS)) await fillMailbox(fx.source, sourceUser, folder, messages(folder, PER_FOLDER));
    const total = Object.keys(FOLDERS).length * PER_FOLDER;
    const loop = await runCrashedPass({
      runtime: fx.runtime,
      dataDir: fx.dataDir,
      projectId: fx.projectId,
      itemId,
      total: total,
      kills: adversarialRun.kills,
      seed: adversarialRun.seed,
      timeoutMs: adversarialRun.testTimeoutMs / 2,
    });
    expect(loop.last.summary).toMatchObject({ completed: 1, failed: 0 });
    reportCounts('crash loop IMAP to IMAP', { kills: loop.kills, passes: loop.passes, messages: total, moments: loop.moments.join('; ') });
    expect(loop.kills).toBe(adversarialRun.kills);
    expect(countsOf(await snapshotMailbox(fx.destination, destUser))).toMatchObject(
      Object.fromEntries(Object.values(FOLDERS).map((f) => [f, PER_FOLDER])),
    );
    await expectIdentical(fx, sourceUser, destUser, FOLDERS);
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(total);
  });
});
