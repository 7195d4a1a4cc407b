/**
 * XML for EWS: escaping every string we put on the wire (ews-javascript-api 0.15.3 escapes
 * nothing), the SOAP envelope, and small DOM helpers over @xmldom/xmldom (ews-javascript-api's
 * own parser) that match by namespace and local name, never by prefix.
 */
import { DOMParser } from '@xmldom/xmldom';
import { MailferryError } from '../../core/errors.js';

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  errors: 'http://schemas.microsoft.com/exchange/services/2006/errors',
} as const;

/** Characters XML 1.0 cannot carry at all, even escaped (control characters other than tab/CR/LF, lone surrogates). */
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for an element or a double-quoted attribute; drops characters XML cannot hold.
 * Tab, line feed and carriage return go as references: a parser turns them into spaces in an
 * attribute and a CR (or CR LF) into LF in text (XML 1.0 §2.11, §3.3.3), so sent raw they would
 * not arrive as written.
 */
export function escapeXml(value: string | number | boolean): string {
  return String(value)
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

/** The text of escaped XML (named and numeric references), for a value read out of serialized XML with a pattern. */
export function unescapeXml(value: string): string {
  return value.replace(/&(?:#x([0-9a-fA-F]+)|#(\d+)|(lt|gt|quot|apos|amp));/g, (whole, hex?: string, dec?: string, name?: string) => {
    if (name) return NAMED_ENTITIES[name]!;
    const code = hex ? parseInt(hex, 16) : Number(dec);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** A `<t:name attr="…">text</t:name>` element with escaped attribute values and text. */
export function el(name: string, attrs: Record<string, string | number | boolean | undefined> = {}, inner?: string): string {
  const attrText = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(v!)}"`)
    .join('');
  return inner === undefined ? `<${name}${attrText}/>` : `<${name}${attrText}>${inner}</${name}>`;
}

export interface EnvelopeOptions {
  /** RequestServerVersion; never newer than Exchange2016 (the schema we are checked against stops there). */
  version: string;
  /** SMTP address for the ExchangeImpersonation header. */
  impersonate?: string;
}

export function envelopeHead(options: EnvelopeOptions): string {
  const impersonation = options.impersonate
    ? `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${escapeXml(options.impersonate)}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`
    : '';
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:t="${NS.types}" xmlns:m="${NS.messages}">` +
    `<soap:Header><t:RequestServerVersion Version="${escapeXml(options.version)}"/>${impersonation}</soap:Header><soap:Body>`
  );
}

export const ENVELOPE_TAIL = '</soap:Body></soap:Envelope>';

export function envelope(options: EnvelopeOptions, body: string): string {
  return envelopeHead(options) + body + ENVELOPE_TAIL;
}

export function parseXml(text: string): Document {
  let problem: string | undefined;
  const doc = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (msg: string) => (problem ??= msg),
      fatalError: (msg: string) => (problem ??= msg),
    },
  }).parseFromString(text, 'text/xml') as unknown as Document;
  if (problem || !doc?.documentElement) {
    // The parser's words only, never the text: a server that is not EWS may answer with anything.
    throw new MailferryError(
      'internal',
      `The EWS server sent a response that is not XML (${(problem ?? 'empty').slice(0, 120)}): check the EWS URL.`,
    );
  }
  return doc;
}

export function elementChildren(node: Node | null | undefined): Element[] {
  const out: Element[] = [];
  if (!node) return out;
  for (let n = node.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

/** First child element with this local name (and namespace when given). */
export function child(node: Node | null | undefined, local: string, ns?: string): Element | undefined {
  return elementChildren(node).find((e) => e.localName === local && (ns === undefined || e.namespaceURI === ns));
}

export function children(node: Node | null | undefined, local: string, ns?: string): Element[] {
  return elementChildren(node).filter((e) => e.localName === local && (ns === undefined || e.namespaceURI === ns));
}

/** Follows a path of local names: `path(item, 'ItemId')`. */
export function path(node: Node | null | undefined, ...locals: string[]): Element | undefined {
  let cur: Node | undefined = node ?? undefined;
  for (const local of locals) {
    cur = child(cur, local);
    if (!cur) return undefined;
  }
  return cur as Element | undefined;
}

export function text(node: Node | null | undefined): string | undefined {
  return node ? (node.textContent ?? '') : undefined;
}

export function attr(node: Element | null | undefined, name: string): string | undefined {
  if (!node?.hasAttribute(name)) return undefined;
  return node.getAttribute(name) ?? undefined;
}

/** All descendants with this local name, document order. */
export function descendants(node: Node | null | undefined, local: string): Element[] {
  const out: Element[] = [];
  const walk = (n: Node): void => {
    for (const c of elementChildren(n)) {
      if (c.localName === local) out.push(c);
      walk(c);
    }
  };
  if (node) walk(node);
  return out;
}

/** Serialises a DOM element back to XML with `t:` / `m:` prefixes, escaping everything. */
export function serialize(node: Element): string {
  const prefix = node.namespaceURI === NS.messages ? 'm' : 't';
  const attrs: string[] = [];
  for (let i = 0; i < node.attributes.length; i++) {
    const a = node.attributes.item(i)!;
    if (a.name.startsWith('xmlns')) continue;
    attrs.push(` ${a.name}="${escapeXml(a.value)}"`);
  }
  const kids = elementChildren(node);
  const inner = kids.length ? kids.map(serialize).join('') : escapeXml(node.textContent ?? '');
  return `<${prefix}:${node.localName}${attrs.join('')}>${inner}</${prefix}:${node.localName}>`;
}
