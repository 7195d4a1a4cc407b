/**
 * The EWS test server against the real client library (ews-javascript-api 0.15.3): every request
 * the client sends and every response the server returns goes through Microsoft's schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  Folder,
  FolderId,
  FolderSchema,
  FolderTraversal,
  FolderView,
  ImpersonatedUserId,
  Mailbox,
  SearchFilter,
  Uri,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { encodeFolderId } from '../../support/ews/mailbox-store.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const BOB = { smtp: 'bob@contoso.test', password: 'bob-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };
/** Folders directly under msgfolderroot in a fresh mailbox (mailbox-store.ts WELL_KNOWN). */
const WELL_KNOWN_FOLDER_COUNT = 11;
const PAGE_SIZE = 4;
/** A name that needs escaping and UTF-8 on the wire: a quote, an ampersand and non-ASCII letters. */
const AWKWARD_NAME = 'Ablage "Zürich" Åsa — 日本';
/**
 * ews-javascript-api 0.15.3 writes element text unescaped (EwsServiceXmlWriter.WriteValue), so a
 * bare "&" reaches the server and Exchange rejects the request; the connector must escape.
 */
const AMPERSAND_NAME = 'Fish & Chips';

function client(account: { smtp: string; password: string }, url: string, version = ExchangeVersion.Exchange2013): ExchangeService {
  const svc = new ExchangeService(version);
  svc.Credentials = new WebCredentials(account.smtp, account.password);
  svc.Url = new Uri(url);
  return svc;
}

async function rejectionOf(p: Promise<unknown>): Promise<Error & { ErrorCode?: number; Message?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('EWS test server with ews-javascript-api', () => {
  let server: EwsTestServer;
  beforeAll(async () => {
    server = await startEwsServer({ users: [ALICE, BOB], admin: ADMIN });
  });
  afterAll(async () => {
    // close() throws if any response failed the schema check.
    await server?.close();
    const v = server.validation;
    console.info(
      `EWS schema validation: ${v.requestsValidated} requests, ${v.responsesValidated} responses, ${server.validator.msPerMessage.toFixed(1)} ms per message`,
    );
  });

  it('binds to the Inbox', async () => {
    const inbox = await Folder.Bind(client(ALICE, server.url), WellKnownFolderName.Inbox);
    expect(inbox.DisplayName).toBe('Inbox');
    expect(inbox.FolderClass).toBe('IPF.Note');
    expect(inbox.ChildFolderCount).toBe(0);
  });

  it('finds the well-known folders under msgfolderroot, shallow and paged', async () => {
    const svc = client(ALICE, server.url, ExchangeVersion.Exchange2007_SP1);
    const all = await svc.FindFolders(WellKnownFolderName.MsgFolderRoot, new FolderView(100));
    expect(all.TotalCount).toBe(WELL_KNOWN_FOLDER_COUNT);
    expect(all.Folders.map((f) => f.DisplayName)).toEqual(expect.arrayContaining(['Inbox', 'Sent Items', 'Calendar', 'Contacts', 'Tasks']));

    const names: string[] = [];
    for (let offset = 0, more = true; more; offset += PAGE_SIZE) {
      const page = await svc.FindFolders(WellKnownFolderName.MsgFolderRoot, new FolderView(PAGE_SIZE, offset));
      names.push(...page.Folders.map((f) => f.DisplayName));
      more = page.MoreAvailable;
    }
    // Same folders, compared as sets: the client groups mixed t:Folder/t:CalendarFolder/… siblings
    // by element name when it parses a response, so their relative order is not the wire order.
    expect([...names].sort()).toEqual(all.Folders.map((f) => f.DisplayName).sort());
  });

  it('creates a folder with a non-ASCII name and a quote, and finds it again (Deep traversal too)', async () => {
    const svc = client(ALICE, server.url, ExchangeVersion.Exchange2016);
    const inbox = await Folder.Bind(svc, WellKnownFolderName.Inbox);
    const folder = new Folder(svc);
    folder.DisplayName = AWKWARD_NAME;
    await folder.Save(inbox.Id);
    expect(folder.Id.UniqueId).toBeTruthy();

    const found = await svc.FindFolders(
      WellKnownFolderName.Inbox,
      // Attribute values go out unescaped too (t:Constant Value="…"): a raw quote would end the
      // attribute and fail as not well-formed, so the connector must escape restriction values.
      new SearchFilter.IsEqualTo(FolderSchema.DisplayName, AWKWARD_NAME.replace(/"/g, '&quot;')),
      new FolderView(10),
    );
    expect(found.Folders.map((f) => f.DisplayName)).toEqual([AWKWARD_NAME]);
    expect(found.Folders[0]!.Id.UniqueId).toBe(folder.Id.UniqueId);

    const view = new FolderView(100);
    view.Traversal = FolderTraversal.Deep;
    const deep = await svc.FindFolders(WellKnownFolderName.MsgFolderRoot, view);
    expect(deep.TotalCount).toBe(WELL_KNOWN_FOLDER_COUNT + 1);
    expect(deep.Folders.map((f) => f.DisplayName)).toContain(AWKWARD_NAME);

    const rebound = await Folder.Bind(svc, folder.Id);
    expect(rebound.DisplayName).toBe(AWKWARD_NAME);
  });

  it('rejects a request that is not well-formed (the client sends "&" unescaped) with ErrorSchemaValidation', async () => {
    const svc = client(ALICE, server.url);
    const bad = new Folder(svc);
    bad.DisplayName = AMPERSAND_NAME;
    const err = await rejectionOf(bad.Save(WellKnownFolderName.Inbox));
    expect(String(err.message)).toMatch(/failed schema validation/);
    expect(server.validation.requestFailures).toEqual([expect.stringContaining('not well-formed XML')]);

    const escaped = new Folder(svc);
    escaped.DisplayName = AMPERSAND_NAME.replace(/&/g, '&amp;');
    await escaped.Save(WellKnownFolderName.Inbox);
    expect((await Folder.Bind(svc, escaped.Id)).DisplayName).toBe(AMPERSAND_NAME);
  });

  it('refuses a duplicate folder name with ErrorFolderExists', async () => {
    const svc = client(BOB, server.url);
    const first = new Folder(svc);
    first.DisplayName = 'Projects';
    await first.Save(WellKnownFolderName.Inbox);
    const again = new Folder(svc);
    again.DisplayName = 'projects';
    const err = await rejectionOf(again.Save(WellKnownFolderName.Inbox));
    expect(String(err.message ?? err.Message)).toMatch(/already exists/);
  });

  it('answers a wrong password with 401, which the client reports', async () => {
    const before = server.validation.unauthorized;
    const err = await rejectionOf(Folder.Bind(client({ ...ALICE, password: 'wrong' }, server.url), WellKnownFolderName.Inbox));
    expect(JSON.stringify(err) + String(err.message)).toMatch(/401|Unauthorized/i);
    expect(server.validation.unauthorized).toBe(before + 1);
  });

  it('answers an unknown folder id with ErrorItemNotFound', async () => {
    const missing = encodeFolderId(ALICE.smtp, 'no-such-folder');
    const err = await rejectionOf(Folder.Bind(client(ALICE, server.url), new FolderId(missing)));
    expect(String(err.message)).toMatch(/not found in the store/);
    // errorCode is the client's ServiceError enum; its name is the EWS ResponseCode.
    const { ServiceError } = await import('ews-javascript-api');
    expect(ServiceError[(err as unknown as { response: { errorCode: number } }).response.errorCode]).toBe('ErrorItemNotFound');
  });

  it("denies another user's mailbox without FullAccess, allows it for the admin", async () => {
    const bobInbox = new FolderId(WellKnownFolderName.Inbox, new Mailbox(BOB.smtp));
    const err = await rejectionOf(Folder.Bind(client(ALICE, server.url), bobInbox));
    expect(String(err.message)).toMatch(/Access is denied/);
    const viaAdmin = await Folder.Bind(client(ADMIN, server.url), bobInbox);
    expect(viaAdmin.DisplayName).toBe('Inbox');
  });

  it('honours ExchangeImpersonation only for the account holding the right', async () => {
    const admin = client(ADMIN, server.url);
    admin.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, BOB.smtp);
    const found = await admin.FindFolders(WellKnownFolderName.Inbox, new FolderView(10));
    expect(found.Folders.map((f) => f.DisplayName)).toEqual(['Projects']);

    const alice = client(ALICE, server.url);
    alice.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, BOB.smtp);
    const err = await rejectionOf(alice.FindFolders(WellKnownFolderName.Inbox, new FolderView(10)));
    expect(String(err.message)).toMatch(/permission to impersonate/);
  });

  it('schema-checked every request and response of this suite', () => {
    const v = server.validation;
    // The one expected rejection: the unescaped "&" test above.
    expect(v.requestFailures).toHaveLength(1);
    expect(v.responseFailures).toEqual([]);
    // 1 bind + 4 finds + 5 (create test) + 3 (ampersand) + 2 creates + 1 (bad id) + 2 binds + 2 finds
    const MIN_ROUND_TRIPS = 20;
    expect(v.requestsValidated).toBeGreaterThanOrEqual(MIN_ROUND_TRIPS);
    // Every validated request got a validated response, except those refused with a fault.
    expect(v.responsesValidated).toBe(v.requestsValidated - v.faults);
  });
});
