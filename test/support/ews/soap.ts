/**
 * SOAP plumbing shared by the EWS test server's operations: the envelope, response messages in
 * messages.xsd's `ResponseMessageType` shape, SOAP faults in Exchange's shape, folder ids and
 * folder shapes (types.xsd `FolderResponseShapeType`), and `RequestServerVersion` ordering.
 */
import { type MailboxStore, type Mailbox, type Principal, type StoredFolder, decodeFolderId } from './mailbox-store.js';
import { NS, type XmlElement, child, childrenNamed, escapeXml } from './xml.js';
import { permissionSetXml } from './permissions.js';

/** types.xsd `ExchangeVersionType`, oldest first: comparisons follow this order. */
export const EXCHANGE_VERSIONS = [
  'Exchange2007',
  'Exchange2007_SP1',
  'Exchange2009',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2012',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2015',
  'Exchange2016',
  'V2015_10_05',
  'V2016_01_06',
  'V2016_04_13',
  'V2016_07_13',
  'V2016_10_10',
] as const;
export type ExchangeVersion = (typeof EXCHANGE_VERSIONS)[number];
/** Exchange assumes the first release when a request carries no RequestServerVersion header. */
export const VERSION_WHEN_ABSENT: ExchangeVersion = 'Exchange2007';

/** What the `t:ServerVersionInfo` response header reports: Exchange 2016 CU (build 15.1.2507.6). */
export const SERVER_VERSION_INFO = { major: 15, minor: 1, majorBuild: 2507, minorBuild: 6, version: 'V2017_07_11' } as const;

export interface EwsContext {
  store: MailboxStore;
  principal: Principal;
  /** The mailbox unqualified folder ids address: the caller's own, or the impersonated user's. */
  mailbox: string;
  version: ExchangeVersion;
}

/** A per-message EWS error (`ResponseClass="Error"`), never a SOAP fault. */
export class EwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function versionAtLeast(ctx: EwsContext, min: ExchangeVersion): boolean {
  return EXCHANGE_VERSIONS.indexOf(ctx.version) >= EXCHANGE_VERSIONS.indexOf(min);
}

export function envelope(body: string): string {
  const v = SERVER_VERSION_INFO;
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<s:Envelope xmlns:s="${NS.soap}"><s:Header>` +
    `<h:ServerVersionInfo MajorVersion="${v.major}" MinorVersion="${v.minor}" MajorBuildNumber="${v.majorBuild}" ` +
    `MinorBuildNumber="${v.minorBuild}" Version="${v.version}" xmlns:h="${NS.types}"/>` +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** `<m:XResponse>` wrapping one `<m:XResponseMessage>` per requested object. */
export function responseEnvelope(operation: string, messages: string[]): string {
  return envelope(
    `<m:${operation}Response xmlns:m="${NS.messages}" xmlns:t="${NS.types}">` +
      `<m:ResponseMessages>${messages.join('')}</m:ResponseMessages></m:${operation}Response>`,
  );
}

export function successMessage(operation: string, payload: string): string {
  return `<m:${operation}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${payload}</m:${operation}ResponseMessage>`;
}

export function errorMessage(operation: string, err: EwsError): string {
  return (
    `<m:${operation}ResponseMessage ResponseClass="Error"><m:MessageText>${escapeXml(err.message)}</m:MessageText>` +
    `<m:ResponseCode>${err.code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:${operation}ResponseMessage>`
  );
}

/** Runs `fn` for one requested object, turning an EwsError into its error response message. */
export function perMessage(operation: string, fn: () => string): string {
  try {
    return successMessage(operation, fn());
  } catch (err) {
    if (err instanceof EwsError) return errorMessage(operation, err);
    throw err;
  }
}

/** `t:MessageXml` with `t:Value Name=…` entries, as Exchange attaches to throttling errors. */
export function messageXmlValues(values: [string, string][], declareNs = false): string {
  const xmlns = declareNs ? ` xmlns:t="${NS.types}"` : '';
  return `<t:MessageXml${xmlns}>${values.map(([n, v]) => `<t:Value Name="${escapeXml(n)}">${escapeXml(v)}</t:Value>`).join('')}</t:MessageXml>`;
}

/** A SOAP fault whose detail carries MessageXml values (ErrorServerBusy's BackOffMilliseconds, …). */
export function faultWithValues(code: string, message: string, values: [string, string][]): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}"><s:Body><s:Fault>` +
    `<faultcode xmlns:a="${NS.types}">a:${code}</faultcode><faultstring xml:lang="en-US">${escapeXml(message)}</faultstring>` +
    `<detail><e:ResponseCode xmlns:e="${NS.errors}">${code}</e:ResponseCode>` +
    `<e:Message xmlns:e="${NS.errors}">${escapeXml(message)}</e:Message>${messageXmlValues(values, true)}</detail>` +
    `</s:Fault></s:Body></s:Envelope>`
  );
}

/** An error response message whose `m:MessageXml` carries values (per-message ErrorServerBusy). */
export function errorMessageWithValues(operation: string, err: EwsError, values: [string, string][]): string {
  return (
    `<m:${operation}ResponseMessage ResponseClass="Error"><m:MessageText>${escapeXml(err.message)}</m:MessageText>` +
    `<m:ResponseCode>${err.code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>` +
    `<m:MessageXml>${values.map(([n, v]) => `<t:Value Name="${escapeXml(n)}">${escapeXml(v)}</t:Value>`).join('')}</m:MessageXml></m:${operation}ResponseMessage>`
  );
}

/** A SOAP fault the way Exchange sends one (faultcode in the types namespace, detail in errors). */
export function faultEnvelope(code: string, message: string, violation?: string): string {
  const messageXml = violation
    ? `<t:MessageXml xmlns:t="${NS.types}"><t:Violation>${escapeXml(violation)}</t:Violation></t:MessageXml>`
    : '';
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}"><s:Body><s:Fault>` +
    `<faultcode xmlns:a="${NS.types}">a:${code}</faultcode><faultstring xml:lang="en-US">${escapeXml(message)}</faultstring>` +
    `<detail><e:ResponseCode xmlns:e="${NS.errors}">${code}</e:ResponseCode>` +
    `<e:Message xmlns:e="${NS.errors}">${escapeXml(message)}</e:Message>${messageXml}</detail>` +
    `</s:Fault></s:Body></s:Envelope>`
  );
}

export function openMailbox(ctx: EwsContext, smtp: string): Mailbox {
  const mbx = ctx.store.mailbox(smtp);
  if (!mbx) throw new EwsError('ErrorNonExistentMailbox', `No mailbox with such guid or SMTP address: ${smtp}`);
  // Delegate access to another mailbox needs the FullAccess mailbox permission; a Groups
  // mailbox also lets its owners and members in.
  const caller = ctx.principal.smtp.toLowerCase();
  const groupAccess = mbx.kind === 'group' && (mbx.owners?.has(caller) === true || mbx.members?.has(caller) === true);
  if (mbx.smtp !== ctx.mailbox && !ctx.principal.fullAccess && !groupAccess) {
    throw new EwsError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  return mbx;
}

/** Resolves a `t:FolderId` or `t:DistinguishedFolderId` (with its optional `t:Mailbox`). */
export function resolveFolder(ctx: EwsContext, idEl: XmlElement): { mbx: Mailbox; folder: StoredFolder } {
  if (idEl.local === 'DistinguishedFolderId') {
    const smtp = child(child(idEl, NS.types, 'Mailbox'), NS.types, 'EmailAddress')?.text.trim() || ctx.mailbox;
    const mbx = openMailbox(ctx, smtp);
    const folder = mbx.folders.get(mbx.byDistinguished.get(idEl.attrs['Id'] ?? '') ?? '');
    if (!folder) throw new EwsError('ErrorFolderNotFound', 'The specified folder could not be found in the store.');
    return { mbx, folder };
  }
  const decoded = decodeFolderId(idEl.attrs['Id'] ?? '');
  if (!decoded) throw new EwsError('ErrorInvalidIdMalformed', 'Id is malformed.');
  const mbx = openMailbox(ctx, decoded.smtp);
  const folder = mbx.folders.get(idEl.attrs['Id']!);
  if (!folder) throw new EwsError('ErrorItemNotFound', 'The specified object was not found in the store.');
  return { mbx, folder };
}

/** The folder id elements of a `NonEmptyArrayOfBaseFolderIdsType` / `TargetFolderIdType`. */
export function folderIdElements(container: XmlElement | undefined): XmlElement[] {
  return [...childrenNamed(container, NS.types, 'FolderId'), ...childrenNamed(container, NS.types, 'DistinguishedFolderId')].sort(
    (a, b) => a.start - b.start,
  );
}

export interface FolderShape {
  base: 'IdOnly' | 'Default' | 'AllProperties';
  additional: Set<string>;
}

export function readFolderShape(shapeEl: XmlElement | undefined): FolderShape {
  const base = (child(shapeEl, NS.types, 'BaseShape')?.text.trim() ?? 'Default') as FolderShape['base'];
  const paths = child(shapeEl, NS.types, 'AdditionalProperties')?.children ?? [];
  return { base, additional: new Set(paths.map((p) => p.attrs['FieldURI'] ?? '').filter(Boolean)) };
}

/**
 * One folder in `FolderType` / `CalendarFolderType` / … element order (types.xsd BaseFolderType:
 * FolderId, ParentFolderId, FolderClass, DisplayName, TotalCount, ChildFolderCount, …, then
 * FolderType's UnreadCount). Which properties appear follows the requested shape.
 */
export function folderXml(ctx: EwsContext, mbx: Mailbox, f: StoredFolder, shape: FolderShape): string {
  const all = shape.base === 'AllProperties';
  const deflt = all || shape.base === 'Default';
  const want = (uri: string, inDefault: boolean): boolean => (inDefault ? deflt : all) || shape.additional.has(uri);
  const parts = [`<t:FolderId Id="${escapeXml(f.id)}" ChangeKey="${escapeXml(f.changeKey)}"/>`];
  const parent = f.parentId ? mbx.folders.get(f.parentId) : undefined;
  if (parent && want('folder:ParentFolderId', false)) {
    parts.push(`<t:ParentFolderId Id="${escapeXml(parent.id)}" ChangeKey="${escapeXml(parent.changeKey)}"/>`);
  }
  if (want('folder:FolderClass', false) && f.folderClass) parts.push(`<t:FolderClass>${escapeXml(f.folderClass)}</t:FolderClass>`);
  if (want('folder:DisplayName', true)) parts.push(`<t:DisplayName>${escapeXml(f.displayName)}</t:DisplayName>`);
  if (want('folder:TotalCount', true)) parts.push(`<t:TotalCount>${f.totalCount}</t:TotalCount>`);
  if (want('folder:ChildFolderCount', true))
    parts.push(`<t:ChildFolderCount>${ctx.store.childrenOf(mbx, f.id).length}</t:ChildFolderCount>`);
  // t:DistinguishedFolderId exists in responses from Exchange 2013 on; older clients never see it.
  if (f.distinguished && shape.additional.has('folder:DistinguishedFolderId')) {
    if (!versionAtLeast(ctx, 'Exchange2013')) {
      throw new EwsError('ErrorInvalidPropertyRequest', 'folder:DistinguishedFolderId requires Exchange2013 or later.');
    }
    parts.push(`<t:DistinguishedFolderId>${f.distinguished}</t:DistinguishedFolderId>`);
  }
  // Folder permissions (before UnreadCount in FolderType, last in CalendarFolderType): asked for
  // by name; AllProperties includes them only before Exchange 2013 (Microsoft's PermissionSet
  // reference, "Version differences"). Search folders carry none.
  const permsInAll = all && versionAtLeast(ctx, 'Exchange2007_SP1') && !versionAtLeast(ctx, 'Exchange2013');
  if (f.element !== 'SearchFolder' && (shape.additional.has('folder:PermissionSet') || permsInAll)) parts.push(permissionSetXml(f));
  const hasUnread = f.element === 'Folder' || f.element === 'TasksFolder' || f.element === 'SearchFolder';
  if (hasUnread && want('folder:UnreadCount', true)) parts.push(`<t:UnreadCount>${f.unreadCount}</t:UnreadCount>`);
  return `<t:${f.element}>${parts.join('')}</t:${f.element}>`;
}
