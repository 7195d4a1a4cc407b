/**
 * An error row names the message the destination refused by its subject (issue 14 #8: the error
 * log's Subject column was always "—", because only rows written on the source side carried one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';

/** The destination refuses APPENDs above this; the source's 20 KB message stays under the streaming threshold. */
const DEST_MAX_MAIL_BYTES = 8_000;

describe('error rows of refused writes', () => {
  let fx: MigrationFixture;
  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['subj'], destination: { maxMailSizeBytes: DEST_MAX_MAIL_BYTES } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('carry the subject the source gave with the message', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('subj');
    await fillMailbox(fx.source, sourceUser, 'INBOX', [
      { raw: sampleMessage(1, 1_000, 'Fits easily') },
      { raw: sampleMessage(2, 20_000, 'Quarterly report, too large for the destination') },
    ]);
    await fx.runPass('full', [itemId]);
    const page = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId, undefined, 10);
    expect(page.items.map((row) => [row.folder, row.subject])).toEqual([['INBOX', 'Quarterly report, too large for the destination']]);
  });
});
