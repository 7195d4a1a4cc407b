/**
 * GetUserOofSettings / SetUserOofSettings (messages.xsd GetUserOofSettingsRequest,
 * SetUserOofSettingsRequest). Their request elements end in `Request`, they name the mailbox
 * with an Availability-style `t:Mailbox` (`t:Address`), and their answers are NOT the
 * ResponseMessages pattern: `m:ResponseMessage`, then `t:OofSettings` and `m:AllowExternalOof`.
 * Access follows the mailbox rules (own mailbox, impersonated user, FullAccess delegate).
 */
import type { Mailbox, StoredOof } from '../mailbox-store.js';
import { NS, type XmlElement, child, escapeXml } from '../xml.js';
import { EwsError, type EwsContext, envelope, openMailbox } from '../soap.js';

const DAY_MS = 86_400_000;

function defaultOof(): StoredOof {
  // A mailbox that never had automatic replies: Disabled, all external senders, and a
  // one-day window starting at the current hour (Exchange always reports a Duration).
  const start = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  return {
    state: 'Disabled',
    externalAudience: 'All',
    duration: {
      start: start.toISOString().replace('.000Z', 'Z'),
      end: new Date(start.getTime() + DAY_MS).toISOString().replace('.000Z', 'Z'),
    },
    internalReply: { message: '' },
    externalReply: { message: '' },
  };
}

function replyXml(tag: string, r: StoredOof['internalReply']): string {
  const lang = r.lang ? ` xml:lang="${escapeXml(r.lang)}"` : '';
  return `<t:${tag}${lang}><t:Message>${escapeXml(r.message)}</t:Message></t:${tag}>`;
}

function oofXml(o: StoredOof): string {
  const d = o.duration ?? defaultOof().duration!;
  return (
    `<t:OofSettings><t:OofState>${o.state}</t:OofState><t:ExternalAudience>${o.externalAudience}</t:ExternalAudience>` +
    `<t:Duration><t:StartTime>${d.start}</t:StartTime><t:EndTime>${d.end}</t:EndTime></t:Duration>` +
    `${replyXml('InternalReply', o.internalReply)}${replyXml('ExternalReply', o.externalReply)}</t:OofSettings>`
  );
}

function responseMessage(err?: EwsError): string {
  return err
    ? `<m:ResponseMessage ResponseClass="Error"><m:MessageText>${escapeXml(err.message)}</m:MessageText><m:ResponseCode>${err.code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:ResponseMessage>`
    : `<m:ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage>`;
}

function wrap(operation: string, inner: string): string {
  return envelope(`<m:${operation}Response xmlns:m="${NS.messages}" xmlns:t="${NS.types}">${inner}</m:${operation}Response>`);
}

function mailboxOf(req: XmlElement, ctx: EwsContext): Mailbox {
  const address = child(child(req, NS.types, 'Mailbox'), NS.types, 'Address')?.text.trim() ?? '';
  if (!address) throw new EwsError('ErrorInvalidRequest', 'The request needs a Mailbox Address.');
  return openMailbox(ctx, address);
}

export function getUserOofSettings(req: XmlElement, ctx: EwsContext): string {
  try {
    const mbx = mailboxOf(req, ctx);
    const oof = mbx.oof ?? defaultOof();
    return wrap('GetUserOofSettings', `${responseMessage()}${oofXml(oof)}<m:AllowExternalOof>All</m:AllowExternalOof>`);
  } catch (err) {
    if (err instanceof EwsError) return wrap('GetUserOofSettings', responseMessage(err));
    throw err;
  }
}

function readReply(el: XmlElement | undefined, fallback: StoredOof['internalReply']): StoredOof['internalReply'] {
  if (!el) return fallback;
  const lang = el.attrs['xml:lang'];
  return { message: child(el, NS.types, 'Message')?.text ?? '', ...(lang ? { lang } : {}) };
}

export function setUserOofSettings(req: XmlElement, ctx: EwsContext): string {
  try {
    const mbx = mailboxOf(req, ctx);
    const s = child(req, NS.types, 'UserOofSettings')!;
    const previous = mbx.oof ?? defaultOof();
    const state = child(s, NS.types, 'OofState')!.text.trim() as StoredOof['state'];
    const externalAudience = child(s, NS.types, 'ExternalAudience')!.text.trim() as StoredOof['externalAudience'];
    const durEl = child(s, NS.types, 'Duration');
    const duration = durEl
      ? { start: child(durEl, NS.types, 'StartTime')!.text.trim(), end: child(durEl, NS.types, 'EndTime')!.text.trim() }
      : previous.duration;
    if (state === 'Scheduled') {
      if (!duration) throw new EwsError('ErrorInvalidScheduledOofDuration', 'Scheduled automatic replies need a Duration.');
      if (!(Date.parse(duration.end) > Date.parse(duration.start))) {
        throw new EwsError('ErrorInvalidScheduledOofDuration', 'The Duration EndTime must be after its StartTime.');
      }
    }
    mbx.oof = {
      state,
      externalAudience,
      ...(duration ? { duration } : {}),
      internalReply: readReply(child(s, NS.types, 'InternalReply'), previous.internalReply),
      externalReply: readReply(child(s, NS.types, 'ExternalReply'), previous.externalReply),
    };
    return wrap('SetUserOofSettings', responseMessage());
  } catch (err) {
    if (err instanceof EwsError) return wrap('SetUserOofSettings', responseMessage(err));
    throw err;
  }
}
