/**
 * The EWS connector against the schema-checked EWS test server: every request our raw SOAP
 * transport sends is validated against Microsoft's schema, and every response too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import type { MailboxAccess, MessageRef, SourceMessage } from '../../../api/core/connector.js';
import type { Endpoint } from '../../../api/core/model.js';
import { EwsConnector } from '../../../api/connectors/ews/index.js';
import type { EwsSession } from '../../../api/connectors/ews/ews-session.js';
import { ewsUrl, tokenResource } from '../../../api/connectors/ews/endpoint-url.js';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { blankItem, ewsDateTime, insertItem, itemsIn, setMaxMessageBytes } from '../../support/ews/items.js';
import { trustingNetworkClient } from '../../support/ews/auth.js';
import { instantClock } from '../../support/test-clock.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const BOB = { smtp: 'bob@contoso.test', password: 'bob-pw' };
const CAROL = { smtp: 'carol@contoso.test', password: 'carol-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };
const GROUP = 'team@contoso.test';
const APP = { clientId: '6a3e0c55-1111-4222-8333-944444444444', clientSecret: 'app-secret' };

const DAY = 86_400_000;

type Failure = Error & { code: string; retryAfterMs?: number };
async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (err) {
    return err as Failure;
  }
  throw new Error('expected a failure');
}
const BASE = Date.UTC(2024, 0, 1);

function mime(subject: string, body = 'Hello'): Buffer {
  return Buffer.from(
    `From: Sender <sender@fabrikam.test>\r\nTo: alice@contoso.test\r\nSubject: ${subject}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@fabrikam.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
  );
}

describe('EWS connector', () => {
  let server: EwsTestServer;
  let connector: EwsConnector;
  const sessions: EwsSession[] = [];

  const endpoint = (over: Partial<Endpoint> = {}): Endpoint => ({
    tenantId: 'local',
    id: 'ews',
    version: 1,
    name: 'EWS test',
    kind: 'exchange',
    host: server.url,
    adminMode: 'delegation',
    adminLogin: ADMIN.smtp,
    createdAt: new Date(0).toISOString(),
    ...over,
  });
  const open = async (access: Partial<MailboxAccess> & { mailbox: string }, c = connector): Promise<EwsSession> => {
    const session = await c.open({ endpoint: endpoint(), adminPassword: ADMIN.password, ...access });
    sessions.push(session);
    return session;
  };
  const seed = (smtp: string, folder: string, count: number, start = BASE, step = DAY) => {
    const mbx = server.store.mailbox(smtp)!;
    const f = [...mbx.folders.values()].find((x) => x.distinguished === folder || x.displayName === folder)!;
    for (let i = 0; i < count; i++) {
      const item = blankItem('IPM.Note', ewsDateTime(start + i * step));
      item.mime = { bytes: mime(`Seed ${i}`) };
      item.isRead = i % 2 === 0;
      insertItem(server.store, mbx, f, item);
    }
  };
  const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  };

  beforeAll(async () => {
    server = await startEwsServer({
      users: [ALICE, BOB, CAROL],
      admin: ADMIN,
      groups: [{ smtp: GROUP, owners: [ALICE.smtp], displayName: 'Team' }],
      oauth: { apps: [APP] },
    });
    connector = new EwsConnector({ clock: instantClock });
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    const v = server.validation;
    console.info(
      `EWS connector: ${v.requestsValidated} requests and ${v.responsesValidated} responses schema-checked, ${v.requestFailures.length} request failures`,
    );
    expect(v.requestFailures).toEqual([]);
    await expect(server.close()).resolves.toBeUndefined();
  });

  describe('URLs', () => {
    it('turns OWA URLs and server names into the EWS URL, and knows the clouds', () => {
      const e = (host: string, kind: Endpoint['kind'] = 'exchange', cloud?: Endpoint['cloud']) => ewsUrl({ name: 'x', host, kind, cloud });
      expect(e('https://mail.x.test/owa').href).toBe('https://mail.x.test/EWS/Exchange.asmx');
      expect(e('mail.x.test').href).toBe('https://mail.x.test/EWS/Exchange.asmx');
      expect(e('https://mail.x.test/ews/exchange.asmx').href).toBe('https://mail.x.test/ews/exchange.asmx');
      expect(e('', 'm365').href).toBe('https://outlook.office365.com/EWS/Exchange.asmx');
      expect(e('', 'm365', 'china').host).toBe('partner.outlook.cn');
      expect(e('', 'm365-group', 'usgov-dod').host).toBe('webmail.apps.mil');
      expect(tokenResource({ name: 'x', host: server.url, kind: 'm365', cloud: 'usgov-gcchigh' })).toBe('https://outlook.office365.us');
      expect(() => e('')).toThrow(/EWS URL/);
    });
  });

  describe('open', () => {
    it('opens with Basic delegation, detects the version and offers ews-export', async () => {
      const s = await open({ mailbox: ALICE.smtp });
      expect(s.ctx.transport.envelope.version).toBe('Exchange2016');
      expect(s.accepts).toEqual(['ews-export', 'rfc822']);
    });

    it('opens with impersonation, and says what to grant when the right is missing', async () => {
      await open({ endpoint: endpoint({ adminMode: 'impersonation' }), mailbox: BOB.smtp });
      const err = await failure(
        connector.open({
          endpoint: endpoint({ adminMode: 'impersonation', adminLogin: CAROL.smtp }),
          adminPassword: CAROL.password,
          mailbox: BOB.smtp,
        }),
      );
      expect(err.code).toBe('forbidden');
      expect(err.message).toMatch(/ApplicationImpersonation/);
      expect(err.message).toMatch(/full_access_as_app|RBAC for Applications/);
    });

    it('refuses delegation without FullAccess, and a wrong password as an auth error', async () => {
      const denied = await failure(
        connector.open({ endpoint: endpoint({ adminLogin: CAROL.smtp }), adminPassword: CAROL.password, mailbox: BOB.smtp }),
      );
      expect(denied.code).toBe('forbidden');
      expect(denied.message).toMatch(/FullAccess/);
      const wrong = await failure(connector.open({ endpoint: endpoint(), adminPassword: 'nope', mailbox: BOB.smtp }));
      expect(wrong.code).toBe('auth');
    });

    it('opens per user (no admin)', async () => {
      const s = await open({
        endpoint: endpoint({ adminMode: 'none', adminLogin: undefined }),
        mailbox: BOB.smtp,
        login: BOB.smtp,
        password: BOB.password,
      });
      expect((await s.listFolders()).map((f) => f.path)).toContain('Inbox');
    });

    it('opens with a Modern Auth app token from the local token endpoint (impersonation), cached', async () => {
      const te = server.tokenEndpoint!;
      const oauth = new EwsConnector({
        modernAuth: { authorityHost: `https://${te.host}`, networkClient: trustingNetworkClient(te.caPem) },
      });
      const before = server.validation.bearer;
      const ep = endpoint({
        kind: 'm365',
        cloud: 'commercial',
        authMechanism: 'oauth-app',
        adminLogin: undefined,
        appClientId: APP.clientId,
        appTenantId: server.issuer!.tenantId,
      });
      const modernAuth = { clientId: APP.clientId, tenantId: server.issuer!.tenantId, clientSecret: APP.clientSecret };
      const s = await open({ endpoint: ep, mailbox: ALICE.smtp, modernAuth, adminPassword: undefined }, oauth);
      expect((await s.listFolders()).length).toBeGreaterThan(5);
      await open({ endpoint: ep, mailbox: BOB.smtp, modernAuth, adminPassword: undefined }, oauth);
      expect(server.validation.bearer).toBeGreaterThan(before);
      expect(te.issued).toBe(1);
      const bad = await failure(oauth.open({ endpoint: ep, mailbox: ALICE.smtp, modernAuth: { ...modernAuth, clientSecret: 'wrong' } }));
      expect(bad.code).toBe('auth');
      expect(bad.message).toMatch(/client secret/);
    });
  });

  describe('folders', () => {
    it('lists the tree with special uses and item types, and creates awkward names of every type', async () => {
      const s = await open({ mailbox: CAROL.smtp });
      const names = ['Fish & Chips', 'He said "hi"', '日本語のフォルダ', 'a/b <c>'];
      for (const n of names) await s.ensureFolder(['Inbox', n]);
      const cal = await s.ensureFolder(['Team Calendar'], 'calendar');
      await s.ensureFolder(['Projects', 'Contacts 2024'], 'contacts');
      await s.ensureFolder(['Tasks 2'], 'tasks');
      await s.ensureFolder(['Sticky'], 'notes');
      const again = await s.ensureFolder(['team calendar'], 'calendar');
      expect(again.state).toEqual(cal.state);
      expect(cal.state.uidNext).toBe(0);
      expect(cal.state.uidValidity).toBeGreaterThan(0);
      expect(cal.state.uidValidity).toBeLessThan(2 ** 31);

      const fresh = await open({ mailbox: CAROL.smtp });
      const folders = await fresh.listFolders();
      const by = new Map(folders.map((f) => [f.path, f]));
      for (const n of names) expect(by.get(`Inbox/${n}`)?.segments).toEqual(['Inbox', n]);
      expect(by.get('Inbox')?.specialUse).toBe('inbox');
      expect(by.get('Sent Items')?.specialUse).toBe('sent');
      expect(by.get('Deleted Items')?.specialUse).toBe('trash');
      expect(by.get('Junk Email')?.specialUse).toBe('junk');
      expect(by.get('Team Calendar')?.itemType).toBe('calendar');
      expect(by.get('Projects/Contacts 2024')?.itemType).toBe('contacts');
      expect(by.get('Projects')?.itemType).toBe('contacts');
      expect(by.get('Tasks 2')?.itemType).toBe('tasks');
      expect(by.get('Sticky')?.itemType).toBe('notes');
      expect(by.get('Journal')?.itemType).toBe('journal');
      expect(folders.every((f) => f.separator === '/')).toBe(true);
    });
  });

  describe('items', () => {
    it('lists past 1000 items in pages, oldest first, with date filters and flags', async () => {
      seed(BOB.smtp, 'inbox', 1205, BASE, 60_000);
      const s = await open({ mailbox: BOB.smtp });
      const inbox = (await s.listFolders()).find((f) => f.path === 'Inbox')!;
      const all = await s.listMessages(inbox);
      expect(all).toHaveLength(1205);
      expect(new Set(all.map((r) => r.key)).size).toBe(1205);
      expect(all[0]!.internalDate).toBe(BASE);
      expect(all.at(-1)!.internalDate).toBe(BASE + 1204 * 60_000);
      expect(all[0]!.flags).toContain('\\Seen');
      expect(all[1]!.flags).not.toContain('\\Seen');
      expect(all[0]!.itemType).toBe('mail');
      const window = await s.listMessages(inbox, { since: BASE + 100 * 60_000, before: BASE + 200 * 60_000 });
      expect(window).toHaveLength(100);
      expect(window[0]!.internalDate).toBe(BASE + 100 * 60_000);
    });

    it('copies mail as rfc822 and as ews-export, marks every write, and lists the marked items for recovery', async () => {
      seed(ALICE.smtp, 'inbox', 7);
      const src = await open({ mailbox: ALICE.smtp });
      const dst = await open({ endpoint: endpoint({ adminMode: 'impersonation' }), mailbox: CAROL.smtp });
      const inbox = (await src.listFolders()).find((f) => f.path === 'Inbox')!;
      const refs = await src.listMessages(inbox);
      refs[1] = { ...refs[1]!, flags: [...refs[1]!.flags, '\\Flagged', 'Project X'] };

      const mimeReads = await collect(src.readMessages(inbox, refs, { formats: ['rfc822'] }));
      expect(mimeReads.every((r) => !('error' in r) && r.format === 'rfc822')).toBe(true);
      expect(((mimeReads[0] as SourceMessage).content as Buffer).toString()).toContain('Subject: Seed 0');

      const target = await dst.ensureFolder(['From MIME']);
      const written = await collect(
        dst.appendMessages(
          target.path,
          (async function* () {
            yield* mimeReads as SourceMessage[];
          })(),
        ),
      );
      expect(written.map((w) => w.error?.message)).toEqual(refs.map(() => undefined));
      expect(written.map((w) => w.ref.key)).toEqual(refs.map((r) => r.key));

      const back = await dst.listMessages((await dst.listFolders()).find((f) => f.path === 'From MIME')!);
      expect(back.map((r) => r.internalDate)).toEqual(refs.map((r) => r.internalDate));
      expect(back[0]!.flags).toContain('\\Seen');
      expect(back[1]!.flags).toEqual(expect.arrayContaining(['\\Flagged', 'Project X']));
      const range = await dst.listRange(target.path, 0);
      expect(range.map((d) => d.sourceKey)).toEqual(refs.map((r) => r.key));
      expect(range.map((d) => d.destId)).toEqual(written.map((w) => w.destId));

      const exports = await collect(src.readMessages(inbox, refs, { formats: dst.accepts! }));
      expect(exports.every((r) => !('error' in r) && r.format === 'ews-export')).toBe(true);
      const t2 = await dst.ensureFolder(['From export']);
      const w2 = await collect(
        dst.appendMessages(
          t2.path,
          (async function* () {
            yield* exports as SourceMessage[];
          })(),
        ),
      );
      expect(w2.every((w) => w.destId && !w.error)).toBe(true);
      const r2 = await dst.listRange(t2.path, 0);
      expect(r2.map((d) => d.sourceKey).sort()).toEqual(refs.map((r) => r.key).sort());
    });

    it('refuses non-mail items for an rfc822-only destination as error rows, and exports them for EWS', async () => {
      const mbx = server.store.mailbox(ALICE.smtp)!;
      const cal = [...mbx.folders.values()].find((f) => f.distinguished === 'calendar')!;
      const item = blankItem('IPM.Appointment', ewsDateTime(BASE));
      insertItem(server.store, mbx, cal, item);
      const s = await open({ mailbox: ALICE.smtp });
      const folder = (await s.listFolders()).find((f) => f.path === 'Calendar')!;
      const refs = await s.listMessages(folder);
      expect(refs[0]!.itemType).toBe('calendar');
      const [mimeRead] = await collect(s.readMessages(folder, refs, { formats: ['rfc822'] }));
      expect('error' in mimeRead! && mimeRead.error.message).toMatch(
        /^An IMAP destination holds only mail; calendar items cannot be copied/,
      );
      const [exported] = await collect(s.readMessages(folder, refs, { formats: ['ews-export', 'rfc822'] }));
      expect('error' in exported!).toBe(false);
    });

    it('turns an oversize write into an error row with the limit, and keeps the rest', async () => {
      const dst = await open({ mailbox: CAROL.smtp });
      const t = await dst.ensureFolder(['Size test']);
      setMaxMessageBytes(server.store, 2000);
      try {
        const ref = (key: string, size: number): MessageRef => ({ key, uid: 1, size, internalDate: BASE, flags: [], itemType: 'mail' });
        const small = mime('small');
        const big = mime('big', 'x'.repeat(5000));
        const msgs: SourceMessage[] = [
          { ref: ref('k1', small.length), content: small },
          { ref: ref('k2', big.length), content: big },
          { ref: ref('k3', small.length), content: small },
        ];
        const out = await collect(
          dst.appendMessages(
            t.path,
            (async function* () {
              yield* msgs;
            })(),
          ),
        );
        expect(out.map((o) => o.ref.key)).toEqual(['k1', 'k2', 'k3']);
        expect(out[0]!.error).toBeUndefined();
        expect((out[1]!.error as Error & { code: string }).code).toBe('too-large');
        expect(out[2]!.error).toBeUndefined();
      } finally {
        setMaxMessageBytes(server.store, 150 * 1024 * 1024);
      }
    });

    it('streams a large item both ways (spooled read, streamed base64 write)', async () => {
      const big = Buffer.concat([mime('Large one', ''), Buffer.alloc(6 * 1024 * 1024, 'abcdefghij\r\n')]);
      const mbx = server.store.mailbox(BOB.smtp)!;
      const drafts = [...mbx.folders.values()].find((f) => f.distinguished === 'drafts')!;
      const item = blankItem('IPM.Note', ewsDateTime(BASE));
      item.mime = { bytes: big };
      insertItem(server.store, mbx, drafts, item);
      const small = new EwsConnector({ clock: instantClock, limits: { largeItemBytes: 1024 * 1024 } });
      const src = await open({ mailbox: BOB.smtp }, small);
      const folder = (await src.listFolders()).find((f) => f.path === 'Drafts')!;
      const refs = await src.listMessages(folder);
      const [read] = await collect(src.readMessages(folder, refs, { formats: ['rfc822'] }));
      const msg = read as SourceMessage;
      expect(typeof msg.content).toBe('function');
      expect(msg.ref.size).toBe(big.length);
      const dst = await open({ mailbox: CAROL.smtp }, small);
      const t = await dst.ensureFolder(['Large']);
      const [w] = await collect(
        dst.appendMessages(
          t.path,
          (async function* () {
            yield msg;
          })(),
        ),
      );
      expect(w!.error).toBeUndefined();
      const stored = itemsIn(
        server.store.mailbox(CAROL.smtp)!,
        [...server.store.mailbox(CAROL.smtp)!.folders.values()].find((f) => f.displayName === 'Large')!.id,
      );
      expect(stored[0]!.mime!.bytes.equals(big)).toBe(true);
      // The spooled copy is deleted once streamed: nothing large lingers in the temp directory.
      await expect((msg.content as () => Promise<Readable>)()).rejects.toThrow(/already read once/);
    });
  });

  describe('throttling', () => {
    it('loses and duplicates nothing when every third call is ErrorServerBusy, and shrinks the window on EWSMaxConcurrency', async () => {
      seed(CAROL.smtp, 'inbox', 120);
      const src = await open({ mailbox: CAROL.smtp });
      const dst = await open({ mailbox: ALICE.smtp });
      const inbox = (await src.listFolders()).find((f) => f.path === 'Inbox')!;
      const t = await dst.ensureFolder(['Throttled']);
      server.throttle.serverBusyEvery(3, 10);
      try {
        const refs = await src.listMessages(inbox);
        const reads = (await collect(src.readMessages(inbox, refs, { formats: ['rfc822'] }))) as SourceMessage[];
        const out = await collect(
          dst.appendMessages(
            t.path,
            (async function* () {
              yield* reads;
            })(),
          ),
        );
        expect(out.filter((o) => o.error)).toEqual([]);
        expect(server.throttle.counters.serverBusy).toBeGreaterThan(0);
      } finally {
        server.throttle.reset();
      }
      const range = await dst.listRange(t.path, 0);
      expect(range).toHaveLength(120);
      expect(new Set(range.map((d) => d.sourceKey)).size).toBe(120);

      // The reader keeps two batches in flight: a server that takes one at a time refuses the second.
      server.throttle.maxConcurrency = 1;
      server.throttle.responseDelayMs = 20;
      try {
        const refs = await src.listMessages(inbox);
        const small = { ...src.ctx.limits };
        src.ctx.limits.batchItems = 5;
        const reads = await collect(src.readMessages(inbox, refs, { formats: ['rfc822'] }));
        src.ctx.limits.batchItems = small.batchItems;
        expect(reads.filter((r) => 'error' in r)).toEqual([]);
        expect(src.ctx.transport.window.size).toBe(1);
        expect(server.throttle.counters.concurrency).toBeGreaterThan(0);
      } finally {
        server.throttle.reset();
      }
    });

    it('throws ThrottledError for a long back-off, and waits out a short 503', async () => {
      const s = await open({ mailbox: ALICE.smtp });
      server.throttle.serverBusyFor(60_000, 'fault', 120_000);
      const err = await failure(s.listFolders());
      server.throttle.reset();
      expect(err.code).toBe('throttled');
      expect(err.retryAfterMs).toBe(120_000);
      server.throttle.http503(2, 1);
      await expect(s.listFolders()).resolves.not.toHaveLength(0);
    });
  });

  describe('groups', () => {
    it('writes to Inbox and Calendar of a Groups mailbox, names the FolderFilter for anything else, refuses impersonation', async () => {
      const g = await open({ endpoint: endpoint({ kind: 'm365-group' }), mailbox: GROUP });
      const paths = (await g.listFolders()).map((f) => f.path).sort();
      expect(paths).toEqual(['Calendar', 'Inbox']);
      await expect(g.ensureFolder(['Inbox'])).resolves.toMatchObject({ path: 'Inbox' });
      await expect(g.ensureFolder(['Projects'])).rejects.toThrow(/FolderFilter="\^\(\?!Inbox\$\|Calendar\$\)"/);
      await expect(
        connector.open({
          endpoint: endpoint({ kind: 'm365-group', adminMode: 'impersonation' }),
          adminPassword: ADMIN.password,
          mailbox: GROUP,
        }),
      ).rejects.toThrow(/cannot be impersonated/);
    });
  });

  describe('probe and discovery', () => {
    it('checks URL, connection, login, access and version; says what to fix', async () => {
      const ok = await connector.probe({
        endpoint: endpoint({ adminMode: 'impersonation' }),
        adminPassword: ADMIN.password,
        testMailbox: ALICE.smtp,
      });
      expect(ok.map((c) => [c.check, c.status])).toEqual([
        ['EWS URL', 'ok'],
        ['Connection', 'warning'],
        ['Login method', 'ok'],
        ['Admin login (admin@contoso.test)', 'ok'],
        ['Impersonation', 'ok'],
        ['Server version', 'ok'],
      ]);
      const denied = await connector.probe({
        endpoint: endpoint({ adminMode: 'impersonation', adminLogin: CAROL.smtp }),
        adminPassword: CAROL.password,
        testMailbox: ALICE.smtp,
      });
      expect(denied.find((c) => c.check === 'Impersonation')).toMatchObject({
        status: 'failed',
        detail: expect.stringMatching(/ApplicationImpersonation/),
      });
      const bad = await connector.probe({ endpoint: endpoint(), adminPassword: 'nope', testMailbox: ALICE.smtp });
      expect(bad.at(-1)).toMatchObject({ status: 'failed', detail: expect.stringMatching(/password/) });
      const down = await connector.probe({
        endpoint: endpoint({ host: 'http://127.0.0.1:1/EWS/Exchange.asmx' }),
        adminPassword: ADMIN.password,
      });
      expect(down.find((c) => c.check === 'Connection')?.status).toBe('failed');
    });

    it('discovers the mailboxes the admin can reach, sorted and de-duplicated', async () => {
      const found = await connector.discoverMailboxes({ endpoint: endpoint(), adminPassword: ADMIN.password });
      expect(found).toEqual(expect.arrayContaining([ALICE.smtp, BOB.smtp, CAROL.smtp, GROUP]));
      expect([...found].sort()).toEqual(found);
      expect(new Set(found).size).toBe(found.length);
    });
  });

  describe('settings', () => {
    it('copies automatic replies and inbox rules (move target re-pointed) and permissions, with error rows for unknown users', async () => {
      const src = await open({ mailbox: ALICE.smtp });
      const dst = await open({ mailbox: BOB.smtp });
      // Set up the source through the connector's own writer.
      await src.ensureFolder(['Inbox', 'Invoices']);
      const srcFolders = await src.listFolders();
      const invoices = srcFolders.find((f) => f.path === 'Inbox/Invoices') as unknown as { id: string };
      await src.ctx.transport.call(
        '<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>alice@contoso.test</t:Address></t:Mailbox><t:UserOofSettings><t:OofState>Enabled</t:OofState>' +
          '<t:ExternalAudience>Known</t:ExternalAudience><t:InternalReply><t:Message>Away &amp; back soon</t:Message></t:InternalReply>' +
          '<t:ExternalReply><t:Message>Away</t:Message></t:ExternalReply></t:UserOofSettings></m:SetUserOofSettingsRequest>',
      );
      await src.ctx.transport.call(
        '<m:UpdateInboxRules><m:MailboxSmtpAddress>alice@contoso.test</m:MailboxSmtpAddress><m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob><m:Operations>' +
          '<t:CreateRuleOperation><t:Rule><t:DisplayName>Invoices &amp; bills</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>true</t:IsEnabled>' +
          '<t:Conditions><t:ContainsSubjectStrings><t:String>invoice</t:String></t:ContainsSubjectStrings></t:Conditions>' +
          `<t:Actions><t:MoveToFolder><t:FolderId Id="${invoices.id}"/></t:MoveToFolder></t:Actions></t:Rule></t:CreateRuleOperation></m:Operations></m:UpdateInboxRules>`,
      );
      const settings = await src.exportSettings(['rules', 'oof']);
      expect(settings.map((s) => s.label)).toEqual(['Inbox rule "Invoices & bills"', 'Automatic replies']);

      await dst.ensureFolder(['Inbox', 'Invoices']);
      const results = await dst.importSettings(settings, (p) => p);
      expect(results.map((r) => r.error?.message)).toEqual([undefined, undefined]);
      const copied = await dst.exportSettings(['rules', 'oof']);
      expect(copied.map((s) => s.label)).toEqual(['Inbox rule "Invoices & bills"', 'Automatic replies']);
      expect(JSON.stringify(copied[1]!.data)).toContain('Away &amp; back soon');
      const bobInvoices = (await dst.listFolders()).find((f) => f.path === 'Inbox/Invoices') as unknown as { id: string };
      expect(JSON.stringify(copied[0]!.data)).toContain(bobInvoices.id);

      const unmapped = await dst.importSettings(settings.slice(0, 1), () => undefined);
      expect(unmapped[0]!.error?.message).toMatch(/was not copied/);

      const perms = [
        {
          type: 'permissions' as const,
          label: 'Permissions of Inbox/Invoices for ghost@contoso.test',
          folder: 'Inbox/Invoices',
          data: {
            xml: '<t:Permission><t:UserId><t:PrimarySmtpAddress>ghost@contoso.test</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>Reviewer</t:PermissionLevel></t:Permission>',
            calendar: false,
            user: 'ghost@contoso.test',
            distinguished: false,
          },
        },
        {
          type: 'permissions' as const,
          label: 'Permissions of Inbox/Invoices for carol@contoso.test',
          folder: 'Inbox/Invoices',
          data: {
            xml: '<t:Permission><t:UserId><t:PrimarySmtpAddress>carol@contoso.test</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>Reviewer</t:PermissionLevel></t:Permission>',
            calendar: false,
            user: 'carol@contoso.test',
            distinguished: false,
          },
        },
      ];
      const permResults = await dst.importSettings(perms, (p) => p);
      expect(permResults[0]!.error?.message).toMatch(/cannot resolve the user ghost@contoso.test/);
      expect(permResults[1]!.error).toBeUndefined();
      const exported = await dst.exportSettings(['permissions']);
      expect(exported.map((s) => s.label)).toContain('Permissions of Inbox/Invoices for carol@contoso.test');
    });
  });
});
