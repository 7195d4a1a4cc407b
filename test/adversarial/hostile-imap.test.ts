/**
 * One pass over healthy and hostile mailboxes of the same source: the source endpoint is a
 * hostile proxy in front of Dovecot (hostile-imap-proxy.ts) that spoils only some mailboxes'
 * FETCH answers, and one mailbox holds broken MIME. The hostile items fail or record errors with
 * a reason, never copy spoiled bytes silently; the healthy items complete, byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import type { Item } from '../../api/core/model.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type DovecotServer, type FillMessage } from '../support/dovecot.js';
import { countsOf, expectIdentical, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, waitForPass, type MigrationFixture } from '../support/migration-fixture.js';
import { adversarialRun, reportCounts } from './adversarial-run.js';
import { SecretScanner } from './secret-scan.js';
import { startHostileImapProxy, type HostileImapProxy, type HostileMode } from './hostile-imap-proxy.js';

const HOSTILE: Record<string, HostileMode> = { liar: 'wrong-literal-size', cutoff: 'truncated', noise: 'garbage' };
const MESSAGES = 40;
const PASS_DEADLINE_MS = 180_000;
/** Healthy items behind two stalling ones: they should be done well within this. */
const STALL_DEADLINE_MS = 45_000;
/** The progress deadline for the stalling servers' project, instead of the default 2 minutes. */
const STALL_OPTION = 'ImapStallSeconds=3';

/** Messages whose MIME is broken in the ways real mailboxes are; Dovecot stores what it is given. */
const BROKEN_MIME: Buffer[] = [
  Buffer.from('Subject: no colon header\r\nThis-Line-Has No Colon\r\n\r\nbody\r\n'),
  Buffer.from(
    'From: a@src.test\r\nTo: b@src.test\r\nContent-Type: multipart/mixed; boundary="never"\r\n\r\n--never\r\nContent-Type: text/plain\r\n\r\npart without an end',
  ),
  Buffer.from('From: a@src.test\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all%%%\r\n'),
  Buffer.concat([
    Buffer.from('From: '),
    Buffer.from([0xe9, 0xff, 0xfe, 0x80]),
    Buffer.from('@src.test\r\nSubject: 8-bit '),
    Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
    Buffer.from('\r\n\r\nbody\r\n'),
  ]),
  Buffer.from(`X-Long: ${'a'.repeat(100_000)}\r\nFrom: a@src.test\r\n\r\nbody\r\n`),
  Buffer.from('From: a@src.test\nTo: b@src.test\nSubject: bare LF\n\nbody with bare LF\n'),
  Buffer.from('no headers at all, only a body line\r\n'),
  Buffer.from('To: =?utf-8?B?!!!?= <broken@src.test>, "unterminated <x@src.test>\r\nFrom: <>\r\n\r\nbody\r\n'),
];

const plain = (prefix: string): FillMessage[] =>
  Array.from({ length: MESSAGES }, (_, i) => ({
    raw: sampleMessage(i, 2_000, `${prefix} ${i}`),
    internalDate: new Date(Date.UTC(2024, 1, 1 + (i % 28))),
  }));

/** Appends one by one so a message the server itself refuses is simply not part of the source. */
async function appendEach(server: DovecotServer, user: string, raws: Buffer[]): Promise<number> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    logger: false,
    auth: { user: server.masterUser, pass: server.masterPassword, authzid: user },
  });
  await client.connect();
  let stored = 0;
  try {
    for (const raw of raws) stored += (await client.append('INBOX', raw).catch(() => false)) ? 1 : 0;
  } finally {
    await client.logout();
  }
  return stored;
}

describe('a pass over hostile and healthy mailboxes of one IMAP source', { timeout: adversarialRun.testTimeoutMs }, () => {
  let fx: MigrationFixture;
  let proxy: HostileImapProxy;
  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: [...Object.keys(HOSTILE), 'calm', 'calm2', 'mime'] });
    const modes = Object.fromEntries(Object.entries(HOSTILE).map(([name, mode]) => [`${name}@src.test`, mode]));
    proxy = await startHostileImapProxy(fx.source, modes, adversarialRun.seed);
  });
  afterAll(async () => {
    await proxy?.close();
    await fx?.close();
  });

  /** A project whose source is the hostile proxy, with one item per mailbox name, filled; returns the items and the broken MIME count. */
  async function projectOf(
    names: string[],
    options: string[] = [],
  ): Promise<{ projectId: string; items: Record<string, Item>; brokenStored: number }> {
    const { services } = fx.runtime;
    const source = await services.projects.createEndpoint(LOCAL_TENANT, {
      name: `Hostile source ${names.join(' ')}`,
      kind: 'imap',
      host: proxy.host,
      port: proxy.port,
      security: 'none',
      allowSelfSigned: false,
      adminMode: 'plain-authzid',
      adminLogin: fx.source.masterUser,
      adminPassword: fx.source.masterPassword,
      authMechanism: 'password',
      domains: [],
    });
    const project = await services.projects.createProject(LOCAL_TENANT, {
      name: `Hostile ${names.join(' ')}`,
      sourceEndpointId: source.id,
      destinationEndpointId: fx.destinationEndpointId,
      options,
      maxConcurrentMigrations: 5,
    });
    const items: Record<string, Item> = {};
    for (const name of names) {
      await fillMailbox(fx.source, `${name}@src.test`, 'INBOX', plain(name));
      // RecipientMapping makes the engine read the headers of every message, broken ones included.
      const options = name === 'mime' ? ['RecipientMapping="@src.test->@dst.test"'] : [];
      items[name] = await services.items.addItem(LOCAL_TENANT, project.id, {
        sourceAddress: `${name}@src.test`,
        destinationAddress: `${name}@dst.test`,
        endUserCredentials: false,
        options,
      });
    }
    const brokenStored = names.includes('mime') ? await appendEach(fx.source, 'mime@src.test', BROKEN_MIME) : 0;
    return { projectId: project.id, items, brokenStored };
  }

  async function runPass(projectId: string, items: Record<string, Item>, deadlineMs: number) {
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, projectId, {
      kind: 'full',
      itemIds: Object.values(items).map((i) => i.id),
      itemTypes: ['mail'],
    });
    fx.runtime.startWorkers();
    return waitForPass(fx.runtime, pass.id, deadlineMs);
  }

  /** A hostile item ends Failed or Completed With Errors with a reason; if it claims Completed, nothing spoiled was copied. */
  async function judgeHostile(name: string, mode: HostileMode, items: Record<string, Item>): Promise<string> {
    const { services } = fx.runtime;
    expect(proxy.spoiled[mode], `${mode} never happened`).toBeGreaterThan(0);
    const item = await services.items.getItem(LOCAL_TENANT, items[name]!.id);
    const errors = (await services.items.errorLog(LOCAL_TENANT, item.id)).items;
    if (item.status === 'Completed') {
      await expectIdentical(fx, `${name}@src.test`, `${name}@dst.test`, { INBOX: 'INBOX' });
    } else {
      expect(['Failed', 'Completed With Errors'], `${name}: ${item.status}`).toContain(item.status);
      expect(`${item.lastRun?.reason ?? ''}${errors.map((e) => e.reason).join('')}`.length, `${name} has no reason`).toBeGreaterThan(10);
    }
    // What a hostile server makes the item say must not carry the admin's password along.
    const scanner = new SecretScanner();
    scanner.plant('source admin password', fx.source.masterPassword);
    scanner.capture(`${name} reason and error log`, JSON.stringify([item.lastRun, errors]));
    expect(scanner.leaks()).toEqual([]);
    return `${mode}: ${item.status} (${errors.length} error rows) ${item.lastRun?.reason ?? errors[0]?.reason ?? ''}`.slice(0, 160);
  }

  async function expectHealthy(names: string[], items: Record<string, Item>): Promise<void> {
    for (const name of names) {
      expect((await fx.runtime.services.items.getItem(LOCAL_TENANT, items[name]!.id)).status, name).toBe('Completed');
      await expectIdentical(fx, `${name}@src.test`, `${name}@dst.test`, { INBOX: 'INBOX' });
    }
  }

  it('a connection cut mid-message and broken MIME fail or log their items with a reason; healthy items of the pass complete byte for byte', async () => {
    const { projectId, items, brokenStored } = await projectOf(['cutoff', 'calm', 'mime']);
    const ended = await runPass(projectId, items, PASS_DEADLINE_MS);
    expect(ended.status).toBe('completed');
    await expectHealthy(['calm'], items);
    const outcome = await judgeHostile('cutoff', 'truncated', items);
    const { services } = fx.runtime;
    const mime = await services.items.getItem(LOCAL_TENANT, items.mime!.id);
    const mimeErrors = (await services.items.errorLog(LOCAL_TENANT, mime.id)).items;
    const mimeCopied = countsOf(await snapshotMailbox(fx.destination, 'mime@dst.test')).INBOX ?? 0;
    expect(['Completed', 'Completed With Errors'], mime.lastRun?.reason).toContain(mime.status);
    expect(mimeCopied + mimeErrors.length).toBe(MESSAGES + brokenStored);
    reportCounts('hostile IMAP source', { brokenMimeStored: brokenStored, brokenMimeCopied: mimeCopied - MESSAGES, outcome });
  });

  // A literal that lies about its size, or 8-bit garbage in place of a FETCH answer, leaves the
  // reader waiting for bytes that never come. It used to hang its item for the 5-minute socket
  // idle timeout, per reconnect, holding a worker slot while healthy items of the pass waited.
  // Now the connection's progress deadline (ImapStallSeconds, shortened here) fails the item.
  it('a server that lies about literal sizes or sends 8-bit garbage does not hold up the healthy items of the pass', async () => {
    const { projectId, items } = await projectOf(['liar', 'noise', 'calm2'], [STALL_OPTION]);
    const ended = await runPass(projectId, items, STALL_DEADLINE_MS);
    expect(ended.status).toBe('completed');
    await expectHealthy(['calm2'], items);
    const outcomes = [await judgeHostile('liar', 'wrong-literal-size', items), await judgeHostile('noise', 'garbage', items)];
    reportCounts('stalling IMAP source', { liar: outcomes[0]!, noise: outcomes[1]! });
  });
});
