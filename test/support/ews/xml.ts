/**
 * A small, strict XML reader for the EWS test server: elements with resolved namespaces, their
 * attributes, text, and the source offsets of each element (so the schema validator can cut the
 * SOAP Body's child out verbatim). SOAP messages carry no DTDs; a DOCTYPE is refused rather than
 * half-parsed. Not a general XML library: it exists so the test server depends on nothing but
 * itself and xmllint.
 */

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  errors: 'http://schemas.microsoft.com/exchange/services/2006/errors',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

export interface XmlElement {
  /** Qualified name as written (`m:GetFolder`). */
  qname: string;
  /** Local part of the name (`GetFolder`). */
  local: string;
  /** Resolved namespace URI ('' when none). */
  ns: string;
  /** Attributes by qualified name as written (namespace declarations excluded). */
  attrs: Record<string, string>;
  /** Namespace declarations written on this element: prefix ('' for default) → URI. */
  nsDecls: Record<string, string>;
  /** Every namespace in scope at this element, inherited ones included. */
  scope: Record<string, string>;
  children: XmlElement[];
  text: string;
  /** Offset of '<' of the start tag and just past the end of the element in the source. */
  start: number;
  end: number;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME_RE = /[A-Za-z_\u00C0-\uFFFF][\w.\-:\u00B7\u00C0-\uFFFF]*/y;

export class XmlParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

export function decodeEntities(raw: string, offset = 0): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlParseError('bare "&"', offset);
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const v = ENTITIES[ref];
    if (v === undefined) throw new XmlParseError(`unknown entity ${m}`, offset);
    return v;
  });
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as const)[c as '<']};`);
}

/** Parses a whole document and returns its root element. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const fail = (msg: string): never => {
    throw new XmlParseError(msg, i);
  };
  const readName = (): string => {
    NAME_RE.lastIndex = i;
    const m = NAME_RE.exec(src);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const skipSpace = (): void => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const resolve = (qname: string, scope: Record<string, string>, isAttr: boolean): { ns: string; local: string } => {
    const colon = qname.indexOf(':');
    if (colon < 0) return { ns: isAttr ? '' : (scope[''] ?? ''), local: qname };
    const prefix = qname.slice(0, colon);
    const ns = prefix === 'xml' ? NS.xml : scope[prefix];
    if (ns === undefined) fail(`undeclared prefix "${prefix}"`);
    return { ns: ns!, local: qname.slice(colon + 1) };
  };

  while (i < src.length) {
    const lt = src.indexOf('<', i);
    if (lt < 0) {
      if (src.slice(i).trim() !== '' && stack.length === 0) fail('text outside the root element');
      if (stack.length > 0) stack[stack.length - 1]!.text += decodeEntities(src.slice(i), i);
      i = src.length;
      break;
    }
    if (lt > i) {
      const raw = src.slice(i, lt);
      if (stack.length > 0) stack[stack.length - 1]!.text += decodeEntities(raw, i);
      else if (raw.trim() !== '' && raw !== '\uFEFF') fail('text outside the root element');
    }
    i = lt;
    if (src.startsWith('<?', i)) {
      const e = src.indexOf('?>', i);
      if (e < 0) fail('unterminated processing instruction');
      i = e + 2;
    } else if (src.startsWith('<!--', i)) {
      const e = src.indexOf('-->', i);
      if (e < 0) fail('unterminated comment');
      i = e + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const e = src.indexOf(']]>', i);
      if (e < 0 || stack.length === 0) fail('bad CDATA section');
      stack[stack.length - 1]!.text += src.slice(i + 9, e);
      i = e + 3;
    } else if (src.startsWith('<!', i)) {
      fail('DOCTYPE and other declarations are not accepted in SOAP messages');
    } else if (src.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (src[i] !== '>') fail('expected ">"');
      i++;
      const open = stack.pop();
      if (!open || open.qname !== name) fail(`mismatched end tag </${name}>`);
      open!.end = i;
    } else {
      const start = i;
      i++;
      const qname = readName();
      const rawAttrs: [string, string][] = [];
      for (;;) {
        skipSpace();
        if (src[i] === '>' || src.startsWith('/>', i)) break;
        const an = readName();
        skipSpace();
        if (src[i] !== '=') fail('expected "="');
        i++;
        skipSpace();
        const q = src[i];
        if (q !== '"' && q !== "'") fail('expected a quoted attribute value');
        const e = src.indexOf(q!, i + 1);
        if (e < 0) fail('unterminated attribute value');
        rawAttrs.push([an, decodeEntities(src.slice(i + 1, e), i)]);
        i = e + 1;
      }
      const selfClosing = src[i] === '/';
      i += selfClosing ? 2 : 1;
      const parent = stack[stack.length - 1];
      const nsDecls: Record<string, string> = {};
      const attrs: Record<string, string> = {};
      for (const [an, av] of rawAttrs) {
        if (an === 'xmlns') nsDecls[''] = av;
        else if (an.startsWith('xmlns:')) nsDecls[an.slice(6)] = av;
        else attrs[an] = av;
      }
      const scope = { ...(parent?.scope ?? {}), ...nsDecls };
      const { ns, local } = resolve(qname, scope, false);
      for (const an of Object.keys(attrs)) resolve(an, scope, true);
      const el: XmlElement = { qname, local, ns, attrs, nsDecls, scope, children: [], text: '', start, end: i };
      if (parent) parent.children.push(el);
      else if (root) fail('more than one root element');
      else root = el;
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length > 0) fail(`unclosed element <${stack[stack.length - 1]!.qname}>`);
  if (!root) fail('no root element');
  return root!;
}

/** The first child element with this namespace and local name. */
export function child(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.ns === ns && c.local === local);
}

export function childrenNamed(el: XmlElement | undefined, ns: string, local: string): XmlElement[] {
  return el?.children.filter((c) => c.ns === ns && c.local === local) ?? [];
}

/**
 * The source text of `el` as a standalone document: the namespace declarations it inherits from
 * its ancestors (SOAP clients declare `m:`/`t:` on the Envelope) are copied onto its start tag.
 */
export function standaloneXml(src: string, el: XmlElement): string {
  const inherited = Object.entries(el.scope).filter(([p]) => !(p in el.nsDecls));
  const decls = inherited.map(([p, uri]) => ` ${p === '' ? 'xmlns' : `xmlns:${p}`}="${escapeXml(uri)}"`).join('');
  const nameEnd = el.start + 1 + el.qname.length;
  return src.slice(el.start, nameEnd) + decls + src.slice(nameEnd, el.end);
}
