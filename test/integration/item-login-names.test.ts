/**
 * IMAP mailboxes whose users are `src1`, not addresses (issue 14, "what an admin expects next":
 * logins that are not e-mail addresses everywhere a login is asked). The item's Source login name
 * names the mailbox the admin opens (master user, SASL PLAIN authzid); before, a login without
 * a password failed with "No password is set for IMAP login src1".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { countsOf, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, type MigrationFixture } from '../support/migration-fixture.js';

describe('items whose source login is not an address', () => {
  let fx: MigrationFixture;
  beforeAll(async () => {
    fx = await createMigrationFixture({ source: { users: { src1: 'src1-pw' } }, destination: { users: { 'one@dst.test': 'pw' } } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('are opened by the admin under that login and copied', async () => {
    await fillMailbox(
      fx.source,
      'src1',
      'INBOX',
      [1, 2].map((n) => ({ raw: sampleMessage(n, 2_000) })),
    );
    const item = await fx.runtime.services.items.addItem(LOCAL_TENANT, fx.projectId, {
      sourceAddress: 'one@src.test',
      sourceLogin: 'src1',
      destinationAddress: 'one@dst.test',
      endUserCredentials: false,
      options: [],
    });
    const pass = await fx.runPass('full', [item.id]);
    expect(pass.summary).toMatchObject({ completed: 1, copied: 2 });
    expect(countsOf(await snapshotMailbox(fx.destination, 'one@dst.test'))).toMatchObject({ INBOX: 2 });
  });
});
