/**
 * What every operation file needs from the session: the transport, whose mailbox we address and
 * how (delegation: a `t:Mailbox` inside distinguished folder ids; impersonation: the
 * ExchangeImpersonation header; self: the login's own mailbox), the server's version and the
 * batching limits.
 */
import type { EndpointKind } from '../../core/model.js';
import type { EwsTransport, ServerVersion } from './transport.js';
import { el, escapeXml } from './xml.js';

export type Addressing = 'delegation' | 'impersonation' | 'self';

export interface EwsLimits {
  /** FindItem/FindFolder page size (Exchange's EWSFindCountLimit is 1000). */
  pageSize: number;
  /** Items per GetItem/ExportItems/CreateItem/UploadItems request. */
  batchItems: number;
  /** Bytes per request (sum of item sizes). */
  batchBytes: number;
  /** Items at least this large travel alone, streamed (never a whole string or DOM in memory). */
  largeItemBytes: number;
}

export const DEFAULT_LIMITS: EwsLimits = {
  pageSize: 1000,
  batchItems: 50,
  batchBytes: 8 * 1024 * 1024,
  largeItemBytes: 4 * 1024 * 1024,
};

export interface EwsContext {
  transport: EwsTransport;
  kind: EndpointKind;
  mailbox: string;
  addressing: Addressing;
  limits: EwsLimits;
}

/** `<t:DistinguishedFolderId Id="inbox">` for the target mailbox. */
export function distinguishedFolderXml(ctx: Pick<EwsContext, 'addressing' | 'mailbox'>, id: string): string {
  const mailbox =
    ctx.addressing === 'delegation' ? `<t:Mailbox><t:EmailAddress>${escapeXml(ctx.mailbox)}</t:EmailAddress></t:Mailbox>` : '';
  return el('t:DistinguishedFolderId', { Id: id }, mailbox || undefined);
}

export function folderIdXml(id: string): string {
  return el('t:FolderId', { Id: id });
}

export function itemIdXml(id: string): string {
  return el('t:ItemId', { Id: id });
}

/** RequestServerVersion values in order; we never ask for more than Exchange2016. */
export const REQUEST_VERSIONS = [
  'Exchange2007',
  'Exchange2007_SP1',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2016',
] as const;
export type RequestVersion = (typeof REQUEST_VERSIONS)[number];
/** Every Exchange since 2007 SP1 takes this, so it is what we speak before we know the server. */
export const PROBING_VERSION: RequestVersion = 'Exchange2007_SP1';

const EXCHANGE_2013_SP1_BUILD = 847;

/** The newest request version the server (from ServerVersionInfo) understands, capped at Exchange2016. */
export function requestVersionFor(server: ServerVersion | undefined): RequestVersion {
  if (!server) return PROBING_VERSION;
  // Exchange 2013 SP1 is build 15.0.847; RTM and the CUs before it refuse Exchange2013_SP1.
  if (server.major >= 15)
    return server.minor >= 1 || server.major > 15
      ? 'Exchange2016'
      : server.build >= EXCHANGE_2013_SP1_BUILD
        ? 'Exchange2013_SP1'
        : 'Exchange2013';
  if (server.major === 14) return server.minor >= 2 ? 'Exchange2010_SP2' : server.minor === 1 ? 'Exchange2010_SP1' : 'Exchange2010';
  return server.minor >= 1 ? 'Exchange2007_SP1' : 'Exchange2007';
}

export function versionAtLeast(version: string, min: RequestVersion): boolean {
  return REQUEST_VERSIONS.indexOf(version as RequestVersion) >= REQUEST_VERSIONS.indexOf(min);
}

/** ExportItems and UploadItems arrived with Exchange 2010 SP1. */
export function supportsExport(ctx: EwsContext): boolean {
  return versionAtLeast(ctx.transport.envelope.version, 'Exchange2010_SP1');
}
