/**
 * An EWS answer read into what the connector reasons about: the operation's response messages in
 * request order (ews-javascript-api regroups them by type, which loses the order), each with its
 * class, code, text and MessageXml values (ErrorServerBusy's BackOffMilliseconds among them); SOAP
 * faults; the server's version from ServerVersionInfo. Item contents already taken out by the
 * payload scanner are attached to their message here.
 */
import { MailferryError } from '../../core/errors.js';
import { fromCode, fromFault } from './map-error.js';
import { PAYLOAD_MARK } from './payload-scanner.js';
import { NS, attr, child, children, elementChildren, parseXml, text } from './xml.js';

export interface ResponseMessage {
  element: Element;
  responseClass: 'Success' | 'Warning' | 'Error';
  code: string;
  text: string;
  /** ErrorServerBusy's BackOffMilliseconds. */
  backOffMs?: number;
  /** MessageXml `t:Value` entries by name. */
  values: Record<string, string>;
  /**
   * The decoded content of the message's `Data` (ExportItems) or `MimeContent` (GetItem) element,
   * taken out of the response while it was read (see `scanPayloads`); that element's text is then
   * only a placeholder.
   */
  payload?: Buffer;
}

export interface ServerVersion {
  major: number;
  minor: number;
  build: number;
  version?: string;
}

export interface EwsResponse {
  doc: Document;
  /** `m:…Response` (the Body's first element). */
  root: Element;
  messages: ResponseMessage[];
}

/** Where ServerVersionInfo sits: in the SOAP header, within the first bytes of every answer. */
const VERSION_HEADER_CHARS = 2000;

/** Parses a 200 answer into its response messages; `payloads` when the text came through scanPayloads. */
export function parseResponse(xml: string, where: string, payloads: Buffer[] = []): EwsResponse {
  const doc = parseXml(xml);
  const body = child(doc.documentElement, 'Body', NS.soap);
  const fault = faultOf(doc);
  if (fault) throw fromFault(fault, where);
  const root = elementChildren(body)[0];
  if (!root) throw new MailferryError('internal', `EWS at ${where} sent an empty SOAP body.`);
  const messages = elementChildren(child(root, 'ResponseMessages')).map(readMessage);
  if (payloads.length) for (const message of messages) attachPayload(message, payloads);
  return { doc, root, messages };
}

/** The SOAP fault of a 500 answer, if its text is one. */
export function faultIn(body: string): ResponseMessage | undefined {
  if (!/Fault/.test(body)) return undefined;
  try {
    return faultOf(parseXml(body));
  } catch {
    return undefined;
  }
}

export function faultOf(doc: Document): ResponseMessage | undefined {
  const fault = child(child(doc.documentElement, 'Body', NS.soap), 'Fault', NS.soap);
  if (!fault) return undefined;
  const detail = child(fault, 'detail');
  const code = text(child(detail, 'ResponseCode'))?.trim() || (text(child(fault, 'faultcode')) ?? '').replace(/^.*:/, '').trim();
  const message: ResponseMessage = {
    element: fault,
    responseClass: 'Error',
    code,
    text: text(child(detail, 'Message')) ?? text(child(fault, 'faultstring')) ?? '',
    values: readValues(child(detail, 'MessageXml')),
  };
  const backOff = Number(message.values['BackOffMilliseconds']);
  if (Number.isFinite(backOff) && backOff >= 0) message.backOffMs = backOff;
  return message;
}

/** ServerVersionInfo of an answer, read from its header without parsing the whole text. */
export function serverVersionOf(xml: string): ServerVersion | undefined {
  const m = /ServerVersionInfo\b([^>]*)/.exec(xml.slice(0, VERSION_HEADER_CHARS));
  if (!m) return undefined;
  const a = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(m[1]!)?.[1];
  const major = Number(a('MajorVersion'));
  if (!Number.isFinite(major)) return undefined;
  return { major, minor: Number(a('MinorVersion') ?? 0), build: Number(a('MajorBuildNumber') ?? 0), version: a('Version') };
}

function attachPayload(message: ResponseMessage, payloads: Buffer[]): void {
  for (const local of ['Data', 'MimeContent']) {
    const el = message.element.getElementsByTagNameNS('*', local)[0];
    const value = el?.textContent ?? '';
    if (value.startsWith(PAYLOAD_MARK)) {
      message.payload = payloads[Number(value.slice(PAYLOAD_MARK.length))];
      return;
    }
  }
}

function readValues(messageXml: Element | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const v of children(messageXml, 'Value')) {
    const name = attr(v, 'Name');
    if (name) values[name] = text(v) ?? '';
  }
  return values;
}

function readMessage(element: Element): ResponseMessage {
  const values = readValues(child(element, 'MessageXml'));
  const message: ResponseMessage = {
    element,
    responseClass: (attr(element, 'ResponseClass') ?? 'Success') as ResponseMessage['responseClass'],
    code: text(child(element, 'ResponseCode'))?.trim() ?? 'NoError',
    text: text(child(element, 'MessageText')) ?? '',
    values,
  };
  const backOff = Number(values['BackOffMilliseconds']);
  if (Number.isFinite(backOff) && values['BackOffMilliseconds'] !== undefined) message.backOffMs = backOff;
  return message;
}

/**
 * The root of a non-batch operation's answer (GetInboxRules, UpdateFolder…), whose one response
 * message may sit beside the root instead of in ResponseMessages; its error as a typed error.
 */
export function singleResponse(response: { root: Element }, mailbox: string, action: string): Element {
  const root = response.root;
  const holder = child(root, 'ResponseMessage') ?? root;
  if (attr(holder, 'ResponseClass') === 'Error') {
    throw fromCode(
      {
        element: holder,
        responseClass: 'Error',
        code: text(child(holder, 'ResponseCode')) ?? '',
        text: text(child(holder, 'MessageText')) ?? '',
        values: {},
      },
      `${action} (${mailbox})`,
    );
  }
  return root;
}
