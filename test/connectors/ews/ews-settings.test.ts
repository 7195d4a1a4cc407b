/**
 * Mailbox settings through the EWS test server with the real ews-javascript-api 0.15.3 client:
 * inbox rules, automatic replies (OOF), folder permissions, ResolveNames — the pieces a
 * migration copies besides items — and Microsoft 365 Groups mailboxes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateRuleOperation,
  DeleteRuleOperation,
  DateTime,
  ExchangeService,
  ExchangeVersion,
  Folder,
  FolderId,
  FolderPermission,
  FolderPermissionLevel,
  FolderSchema,
  FolderView,
  Mailbox,
  OofExternalAudience,
  OofReply,
  OofSettings,
  OofState,
  PropertySet,
  BasePropertySet,
  FolderPermissionReadAccess,
  ResolveNameSearchLocation,
  Rule,
  type RuleOperation,
  SetRuleOperation,
  StandardUser,
  TimeWindow,
  Uri,
  WebCredentials,
  WellKnownFolderName,
  ServiceError,
} from 'ews-javascript-api';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { NS } from '../../support/ews/xml.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const BOB = { smtp: 'bob@contoso.test', password: 'bob-pw' };
const CAROL = { smtp: 'carol@contoso.test', password: 'carol-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };
const TEAM = 'team@contoso.test';
const MANY_USERS = 120;
const MAX_RESOLUTIONS = 100;

function client(account: { smtp: string; password: string }, url: string, version = ExchangeVersion.Exchange2013): ExchangeService {
  const svc = new ExchangeService(version);
  svc.Credentials = new WebCredentials(account.smtp, account.password);
  svc.Url = new Uri(url);
  return svc;
}

async function rejectionOf(
  p: Promise<unknown>,
): Promise<Error & { ErrorCode?: number; Message?: string; response?: { errorCode: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

function codeOf(err: { ErrorCode?: number; response?: { errorCode: number } }): string {
  const n = err.response?.errorCode ?? err.ErrorCode;
  return n === undefined ? '?' : ServiceError[n]!;
}

/** A hand-built SOAP request (for what the client cannot express), Basic auth. */
async function soap(
  url: string,
  account: { smtp: string; password: string },
  body: string,
  version = 'Exchange2013',
): Promise<{ status: number; text: string }> {
  const xml =
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${NS.messages}" xmlns:t="${NS.types}">` +
    `<s:Header><t:RequestServerVersion Version="${version}"/></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/xml; charset=utf-8',
      Authorization: `Basic ${Buffer.from(`${account.smtp}:${account.password}`).toString('base64')}`,
    },
    body: xml,
  });
  return { status: res.status, text: await res.text() };
}

describe('EWS settings operations with ews-javascript-api', () => {
  let server: EwsTestServer;
  beforeAll(async () => {
    server = await startEwsServer({
      users: [ALICE, BOB, CAROL],
      admin: ADMIN,
      groups: [{ smtp: TEAM, owners: [ALICE.smtp], members: [BOB.smtp], displayName: 'Team' }],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('inbox rules', () => {
    let archiveId: string;

    it('creates rules with conditions, exceptions and a MoveToFolder action that keeps its folder id', async () => {
      const svc = client(ALICE, server.url);
      const archive = new Folder(svc);
      archive.DisplayName = 'Archive';
      await archive.Save(WellKnownFolderName.MsgFolderRoot);
      archiveId = archive.Id.UniqueId;

      const move = new Rule();
      move.DisplayName = 'Invoices to Archive';
      move.Priority = 1;
      move.IsEnabled = true;
      move.Conditions.ContainsSubjectStrings.Add('Invoice');
      move.Conditions.FromAddresses.Add(new (await import('ews-javascript-api')).EmailAddress('billing@fabrikam.test'));
      move.Exceptions.ContainsBodyStrings.Add('draft');
      move.Actions.MoveToFolder = new FolderId(archiveId);
      move.Actions.StopProcessingRules = true;

      const flag = new Rule();
      flag.DisplayName = 'Mark newsletters read';
      flag.Priority = 2;
      flag.IsEnabled = false;
      flag.Conditions.ContainsSenderStrings.Add('newsletter');
      flag.Actions.MarkAsRead = true;

      await svc.UpdateInboxRules([new CreateRuleOperation(move), new CreateRuleOperation(flag)] as RuleOperation[], true);

      const rules = await svc.GetInboxRules();
      expect(rules.Count).toBe(2);
      const [first, second] = [rules._getItem(0), rules._getItem(1)];
      expect(first.DisplayName).toBe('Invoices to Archive');
      expect(first.Priority).toBe(1);
      expect(first.Id).toBeTruthy();
      expect(first.Conditions.ContainsSubjectStrings.GetEnumerator()).toEqual(['Invoice']);
      expect(first.Conditions.FromAddresses._getItem(0).Address).toBe('billing@fabrikam.test');
      expect(first.Exceptions.ContainsBodyStrings.GetEnumerator()).toEqual(['draft']);
      expect(first.Actions.MoveToFolder.UniqueId).toBe(archiveId);
      expect(first.Actions.StopProcessingRules).toBe(true);
      expect(second.DisplayName).toBe('Mark newsletters read');
      expect(second.IsEnabled).toBe(false);
      expect(second.Actions.MarkAsRead).toBe(true);
    });

    it('reorders on SetRuleOperation and removes on DeleteRuleOperation', async () => {
      const svc = client(ALICE, server.url);
      const rules = await svc.GetInboxRules();
      const second = rules._getItem(1);
      second.Priority = 1;
      second.IsEnabled = true;
      await svc.UpdateInboxRules([new SetRuleOperation(second)] as RuleOperation[], true);
      let now = await svc.GetInboxRules();
      expect(now._getItem(0).DisplayName).toBe('Mark newsletters read');
      expect(now._getItem(0).IsEnabled).toBe(true);
      expect(now._getItem(1).Priority).toBe(2);

      await svc.UpdateInboxRules([new DeleteRuleOperation(now._getItem(0).Id)] as RuleOperation[], true);
      now = await svc.GetInboxRules();
      expect(now.Count).toBe(1);
      expect(now._getItem(0).Priority).toBe(1);
      expect(now._getItem(0).Actions.MoveToFolder.UniqueId).toBe(archiveId);
    });

    it('refuses a rule moving to a folder that does not exist, changing nothing (ErrorInboxRulesValidationError)', async () => {
      const svc = client(ALICE, server.url);
      const bad = new Rule();
      bad.DisplayName = 'Nowhere';
      bad.Priority = 1;
      bad.Actions.MoveToFolder = new FolderId(Buffer.from('mf-ews-folder\nalice@contoso.test\n999999').toString('base64'));
      const ok = new Rule();
      ok.DisplayName = 'Fine';
      ok.Priority = 1;
      ok.Actions.Delete = true;
      const err = await rejectionOf(
        svc.UpdateInboxRules([new CreateRuleOperation(ok), new CreateRuleOperation(bad)] as RuleOperation[], true),
      );
      expect(codeOf(err)).toBe('ErrorInboxRulesValidationError');
      expect((await svc.GetInboxRules()).Count).toBe(1);
      // The RuleOperationErrors say which operation and why (read from the wire: hand-built request).
      const res = await soap(
        server.url,
        ALICE,
        `<m:UpdateInboxRules><m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob><m:Operations><t:CreateRuleOperation><t:Rule>` +
          `<t:DisplayName>Nowhere</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>true</t:IsEnabled>` +
          `<t:Actions><t:MoveToFolder><t:FolderId Id="${Buffer.from('mf-ews-folder\nalice@contoso.test\n999999').toString('base64')}"/></t:MoveToFolder></t:Actions>` +
          `</t:Rule></t:CreateRuleOperation></m:Operations></m:UpdateInboxRules>`,
      );
      expect(res.status).toBe(200);
      expect(res.text).toContain('<t:OperationIndex>0</t:OperationIndex>');
      expect(res.text).toContain('<t:FieldURI>Action:MoveToFolder</t:FieldURI><t:ErrorCode>FolderDoesNotExist</t:ErrorCode>');
    });

    it("lets the FullAccess admin read another mailbox's rules by MailboxSmtpAddress, not Bob", async () => {
      const rules = await client(ADMIN, server.url).GetInboxRules(ALICE.smtp);
      expect(rules.Count).toBe(1);
      const err = await rejectionOf(client(BOB, server.url).GetInboxRules(ALICE.smtp));
      expect(codeOf(err)).toBe('ErrorAccessDenied');
    });
  });

  describe('automatic replies (OOF)', () => {
    it('reports the defaults of a mailbox that never set them', async () => {
      const oof = await client(BOB, server.url).GetUserOofSettings(BOB.smtp);
      expect(oof.State).toBe(OofState.Disabled);
      expect(oof.ExternalAudience).toBe(OofExternalAudience.All);
      expect(oof.Duration).toBeTruthy();
    });

    it('sets scheduled replies with internal and external messages and reads them back', async () => {
      const svc = client(ALICE, server.url);
      const settings = new OofSettings();
      settings.State = OofState.Scheduled;
      settings.ExternalAudience = OofExternalAudience.Known;
      settings.Duration = new TimeWindow(DateTime.Parse('2030-07-01T08:00:00Z'), DateTime.Parse('2030-07-15T17:00:00Z'));
      settings.InternalReply = new OofReply('Away until 15 July — ask Bob.');
      settings.ExternalReply = new OofReply('I am out of the office.');
      await svc.SetUserOofSettings(ALICE.smtp, settings);

      const back = await svc.GetUserOofSettings(ALICE.smtp);
      expect(back.State).toBe(OofState.Scheduled);
      expect(back.ExternalAudience).toBe(OofExternalAudience.Known);
      expect(back.InternalReply.Message).toBe('Away until 15 July — ask Bob.');
      expect(back.ExternalReply.Message).toBe('I am out of the office.');
      expect(back.Duration.StartTime.ToISOString()).toMatch(/^2030-07-01T08:00:00/);
      expect(back.Duration.EndTime.ToISOString()).toMatch(/^2030-07-15T17:00:00/);
      expect(server.store.mailbox(ALICE.smtp)!.oof!.state).toBe('Scheduled');
    });

    it("refuses a scheduled window that ends before it starts, and another user's settings without FullAccess", async () => {
      // The client checks the window itself, so the server's check is reached by hand.
      const res = await soap(
        server.url,
        ALICE,
        `<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>${ALICE.smtp}</t:Address></t:Mailbox><t:UserOofSettings>` +
          `<t:OofState>Scheduled</t:OofState><t:ExternalAudience>All</t:ExternalAudience>` +
          `<t:Duration><t:StartTime>2030-07-15T08:00:00Z</t:StartTime><t:EndTime>2030-07-01T08:00:00Z</t:EndTime></t:Duration>` +
          `</t:UserOofSettings></m:SetUserOofSettingsRequest>`,
      );
      expect(res.text).toContain('<m:ResponseMessage ResponseClass="Error">');
      expect(res.text).toContain('<m:ResponseCode>ErrorInvalidScheduledOofDuration</m:ResponseCode>');
      expect(codeOf(await rejectionOf(client(BOB, server.url).GetUserOofSettings(ALICE.smtp)))).toBe('ErrorAccessDenied');
      expect((await client(ADMIN, server.url).GetUserOofSettings(ALICE.smtp)).State).toBe(OofState.Scheduled);
    });
  });

  describe('folder permissions', () => {
    it('returns the default PermissionSet when asked by name, and not with AllProperties from Exchange 2013 on', async () => {
      const svc = client(ALICE, server.url);
      const props = new PropertySet(BasePropertySet.FirstClassProperties, [FolderSchema.Permissions]);
      const inbox = await Folder.Bind(svc, WellKnownFolderName.Inbox, props);
      const perms = inbox.Permissions.GetEnumerator();
      // 0.15.3 reports a parsed PermissionLevel as the enum's key string ("0"), hence Number().
      expect(perms.map((p) => [p.UserId.StandardUser, Number(p.PermissionLevel)])).toEqual([
        [StandardUser.Default, FolderPermissionLevel.None],
        [StandardUser.Anonymous, FolderPermissionLevel.None],
      ]);
      const calendar = await Folder.Bind(svc, WellKnownFolderName.Calendar, props);
      expect(Number(calendar.Permissions.GetEnumerator()[0]!.PermissionLevel)).toBe(FolderPermissionLevel.FreeBusyTimeOnly);

      const plain = await soap(
        server.url,
        ALICE,
        `<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`,
      );
      expect(plain.text).not.toContain('PermissionSet');
      const old = await soap(
        server.url,
        ALICE,
        `<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`,
        'Exchange2010_SP2',
      );
      expect(old.text).toContain('<t:PermissionSet><t:Permissions>');
    });

    it('replaces the PermissionSet with UpdateFolder: Default Reviewer and Bob Editor (client), Carol Custom (by hand)', async () => {
      const svc = client(ALICE, server.url);
      const props = new PropertySet(BasePropertySet.FirstClassProperties, [FolderSchema.Permissions]);
      const inbox = await Folder.Bind(svc, WellKnownFolderName.Inbox, props);
      inbox.Permissions.GetEnumerator()[0]!.PermissionLevel = FolderPermissionLevel.Reviewer;
      inbox.Permissions.Add(new FolderPermission(BOB.smtp, FolderPermissionLevel.Editor));
      await inbox.Update();

      // 0.15.3 writes a Custom permission's ReadItems/EditItems/DeleteItems as enum numbers ("3"),
      // which the schema refuses: the connector must write Custom permissions itself.
      const withCustom = await Folder.Bind(svc, WellKnownFolderName.Inbox, props);
      const custom = new FolderPermission(CAROL.smtp, FolderPermissionLevel.Custom);
      custom.CanCreateItems = true;
      custom.IsFolderVisible = true;
      custom.ReadItems = FolderPermissionReadAccess.FullDetails;
      withCustom.Permissions.Add(custom);
      expect(String((await rejectionOf(withCustom.Update())).message)).toMatch(/failed schema validation/);
      expect(server.validation.requestFailures.at(-1)).toMatch(/ReadItems.*'3'/);
      const perm = (user: string, body: string) => `<t:Permission><t:UserId>${user}</t:UserId>${body}</t:Permission>`;
      const res = await soap(
        server.url,
        ALICE,
        `<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:DistinguishedFolderId Id="inbox"/><t:Updates><t:SetFolderField>` +
          `<t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder><t:PermissionSet><t:Permissions>` +
          perm('<t:DistinguishedUser>Default</t:DistinguishedUser>', '<t:PermissionLevel>Reviewer</t:PermissionLevel>') +
          perm('<t:DistinguishedUser>Anonymous</t:DistinguishedUser>', '<t:PermissionLevel>None</t:PermissionLevel>') +
          perm(`<t:PrimarySmtpAddress>${BOB.smtp}</t:PrimarySmtpAddress>`, '<t:PermissionLevel>Editor</t:PermissionLevel>') +
          perm(
            `<t:PrimarySmtpAddress>${CAROL.smtp}</t:PrimarySmtpAddress>`,
            '<t:CanCreateItems>true</t:CanCreateItems><t:IsFolderVisible>true</t:IsFolderVisible><t:ReadItems>FullDetails</t:ReadItems><t:PermissionLevel>Custom</t:PermissionLevel>',
          ) +
          `</t:Permissions></t:PermissionSet></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`,
      );
      expect(res.text).toContain('<m:UpdateFolderResponseMessage ResponseClass="Success">');

      const again = await Folder.Bind(svc, WellKnownFolderName.Inbox, props);
      const bySmtp = new Map(
        again.Permissions.GetEnumerator().map((p) => [p.UserId.PrimarySmtpAddress ?? String(p.UserId.StandardUser), p]),
      );
      expect(Number(bySmtp.get(String(StandardUser.Default))!.PermissionLevel)).toBe(FolderPermissionLevel.Reviewer);
      expect(Number(bySmtp.get(BOB.smtp)!.PermissionLevel)).toBe(FolderPermissionLevel.Editor);
      expect(bySmtp.get(BOB.smtp)!.CanCreateItems).toBe(true);
      const carol = bySmtp.get(CAROL.smtp)!;
      expect(Number(carol.PermissionLevel)).toBe(FolderPermissionLevel.Custom);
      expect(carol.CanCreateItems).toBe(true);
      expect(carol.CanCreateSubFolders).toBe(false);
      expect(server.store.mailbox(ALICE.smtp)!.folders.get(again.Id.UniqueId)!.permissions).toHaveLength(4);
    });

    it('refuses a named level whose rights contradict it, and an unknown user', async () => {
      const bad = (user: string, extra: string) =>
        soap(
          server.url,
          ALICE,
          `<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:DistinguishedFolderId Id="inbox"/><t:Updates><t:SetFolderField>` +
            `<t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder><t:PermissionSet><t:Permissions><t:Permission>` +
            `<t:UserId>${user}</t:UserId>${extra}` +
            `</t:Permission></t:Permissions></t:PermissionSet></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`,
        );
      const contradiction = await bad(
        `<t:PrimarySmtpAddress>${BOB.smtp}</t:PrimarySmtpAddress>`,
        '<t:CanCreateSubFolders>true</t:CanCreateSubFolders><t:PermissionLevel>Reviewer</t:PermissionLevel>',
      );
      expect(contradiction.text).toContain('<m:ResponseCode>ErrorInvalidPermissionSettings</m:ResponseCode>');
      const unknown = await bad(
        '<t:PrimarySmtpAddress>nobody@contoso.test</t:PrimarySmtpAddress>',
        '<t:PermissionLevel>Reviewer</t:PermissionLevel>',
      );
      expect(unknown.text).toContain('<m:ResponseCode>ErrorInvalidUserInfo</m:ResponseCode>');
    });
  });

  describe('ResolveNames', () => {
    it('resolves one mailbox (Success) and several (Warning ErrorNameResolutionMultipleResults, all returned)', async () => {
      const svc = client(ADMIN, server.url);
      const one = await svc.ResolveName('SMTP:bob@contoso.test', ResolveNameSearchLocation.DirectoryOnly, false);
      expect(one.Count).toBe(1);
      expect(one._getItem(0).Mailbox.Address).toBe(BOB.smtp);

      const all = await svc.ResolveName('SMTP:', ResolveNameSearchLocation.DirectoryOnly, true);
      const addresses = all
        .GetEnumerator()
        .map((r) => r.Mailbox.Address)
        .sort();
      // The admin has no mailbox, so it is not in the directory's mailbox list.
      expect(addresses).toEqual([ALICE.smtp, BOB.smtp, CAROL.smtp, TEAM].sort());
      expect(all.IncludesAllResolutions).toBe(true);
      const team = all.GetEnumerator().find((r) => r.Mailbox.Address === TEAM)!;
      expect(team.Mailbox.Name).toBe('Team');
      expect(team.Contact?.DisplayName).toBe('Team');
    });

    it('answers no match with ErrorNameResolutionNoResults, and caps a result set at 100', async () => {
      const svc = client(ADMIN, server.url);
      // The client turns ErrorNameResolutionNoResults into an empty collection (as the Managed API does).
      expect((await svc.ResolveName('zzz-nobody', ResolveNameSearchLocation.DirectoryOnly, false)).Count).toBe(0);
      const none = await soap(
        server.url,
        ADMIN,
        `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>zzz-nobody</m:UnresolvedEntry></m:ResolveNames>`,
      );
      expect(none.text).toContain('ResponseClass="Error"');
      expect(none.text).toContain('<m:ResponseCode>ErrorNameResolutionNoResults</m:ResponseCode>');
      const many = await soap(
        server.url,
        ADMIN,
        `<m:ResolveNames ReturnFullContactData="false" SearchScope="ActiveDirectory"><m:UnresolvedEntry>SMTP:</m:UnresolvedEntry></m:ResolveNames>`,
      );
      expect(many.text).toContain(
        '<m:ResolveNamesResponseMessage ResponseClass="Warning"><m:MessageText>Multiple results were found.</m:MessageText><m:ResponseCode>ErrorNameResolutionMultipleResults</m:ResponseCode>',
      );

      for (let i = 0; i < MANY_USERS; i++)
        server.store.addPrincipal({
          smtp: `user${String(i).padStart(3, '0')}@contoso.test`,
          password: 'pw',
          fullAccess: false,
          impersonation: false,
        });
      const page = await svc.ResolveName('SMTP:user', ResolveNameSearchLocation.DirectoryOnly, false);
      expect(page.Count).toBe(MAX_RESOLUTIONS);
      expect(page.IncludesAllResolutions).toBe(false);
    });
  });

  describe('Microsoft 365 Groups mailboxes', () => {
    it('has only Inbox and Calendar, reachable by owners, members and the admin by delegation', async () => {
      const teamTop = new FolderId(WellKnownFolderName.MsgFolderRoot, new Mailbox(TEAM));
      for (const account of [ALICE, BOB, ADMIN]) {
        const found = await client(account, server.url).FindFolders(teamTop, new FolderView(10));
        expect(found.Folders.map((f) => f.DisplayName).sort()).toEqual(['Calendar', 'Inbox']);
      }
      const err = await rejectionOf(client(CAROL, server.url).FindFolders(teamTop, new FolderView(10)));
      expect(codeOf(err)).toBe('ErrorAccessDenied');
    });

    it('refuses CreateFolder in a group mailbox with ErrorAccessDenied', async () => {
      const svc = client(ALICE, server.url);
      const folder = new Folder(svc);
      folder.DisplayName = 'Projects';
      const err = await rejectionOf(folder.Save(new FolderId(WellKnownFolderName.Inbox, new Mailbox(TEAM))));
      expect(codeOf(err)).toBe('ErrorAccessDenied');
      expect(server.store.mailbox(TEAM)!.folders.size).toBe(4);
    });
  });

  it('schema-checked every request and response', () => {
    const v = server.validation;
    // The one expected rejection: the client's Custom permission above.
    expect(v.requestFailures).toHaveLength(1);
    expect(v.responseFailures).toEqual([]);
    expect(v.responsesValidated).toBe(v.requestsValidated - v.faults);
  });
});
