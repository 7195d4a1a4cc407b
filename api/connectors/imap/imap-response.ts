/**
 * Untagged server responses as our own connection (imap-wire.ts) reads them: a response is its
 * text, cut where each literal was (RFC 3501 §4.3 `{N}` CRLF then N octets), and the literals'
 * bytes; `tokens()` turns it into values (RFC 3501 §9): atoms and quoted strings as strings,
 * literals as Buffers (message bodies stay bytes), NIL as null, parenthesized lists as arrays.
 * An atom that opens a `[` keeps everything to its `]` (`BODY[]`, `BODY[HEADER.FIELDS (A B)]`).
 */
export type Token = string | Buffer | null | Token[];

export interface ServerResponse {
  /** The response's text parts; part i is followed by literal i when there is one. */
  parts: string[];
  literals: Buffer[];
}

const SPACE = 0x20;

/** The values of a response (without the leading `*`). */
export function tokens(response: ServerResponse): Token[] {
  return parseResponse(response).values;
}

/**
 * The values, and whether the response was whole: every list it opened closed, none closed that
 * it had not opened. A literal whose announced size was wrong leaves message text where the
 * rest of the response should be, which rarely balances.
 */
export function parseResponse(response: ServerResponse): { values: Token[]; whole: boolean } {
  const reader = new TokenReader(response);
  const top: Token[] = [];
  const stack: Token[][] = [top];
  let whole = true;
  for (;;) {
    const next = reader.next();
    if (next === END) break;
    if (next === OPEN) {
      const list: Token[] = [];
      stack.at(-1)!.push(list);
      stack.push(list);
    } else if (next === CLOSE) {
      if (stack.length > 1) stack.pop();
      else whole = false;
    } else {
      stack.at(-1)!.push(next);
    }
  }
  return { values: top, whole: whole && stack.length === 1 };
}

const END = Symbol('end');
const OPEN = Symbol('(');
const CLOSE = Symbol(')');

class TokenReader {
  private part = 0;
  private at = 0;

  constructor(private readonly response: ServerResponse) {}

  next(): Token | typeof END | typeof OPEN | typeof CLOSE {
    const { parts, literals } = this.response;
    for (;;) {
      const text = parts[this.part];
      if (text === undefined) return END;
      while (this.at < text.length && text.charCodeAt(this.at) === SPACE) this.at++;
      if (this.at < text.length) break;
      // The literal announced at the end of this part is the next value.
      const literal = literals[this.part];
      this.part++;
      this.at = 0;
      if (literal) return literal;
    }
    const text = parts[this.part]!;
    const c = text[this.at]!;
    if (c === '(' || c === ')') {
      this.at++;
      return c === '(' ? OPEN : CLOSE;
    }
    if (c === '"') return this.quoted(text);
    if (c === '{' && /^\{\d+\+?\}$/.test(text.slice(this.at))) {
      // `{N}` closes this part; the literal itself comes next.
      this.at = text.length;
      return this.next();
    }
    return this.atom(text);
  }

  private quoted(text: string): string {
    let out = '';
    let i = this.at + 1;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\' && i + 1 < text.length) out += text[++i];
      else if (c === '"') break;
      else out += c;
    }
    this.at = i + 1;
    return out;
  }

  private atom(text: string): Token {
    let i = this.at;
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === '[') depth++;
      else if (c === ']') depth = Math.max(0, depth - 1);
      else if (depth === 0 && (c === ' ' || c === '(' || c === ')')) {
        // `BODY[]<0>` and friends end at a space; a `(` right after an atom starts a list.
        break;
      }
    }
    const value = text.slice(this.at, i);
    this.at = i;
    return value.toUpperCase() === 'NIL' ? null : value;
  }
}

/** A token as text (a literal decoded as UTF-8), or '' for NIL and lists. */
export function text(token: Token | undefined): string {
  if (typeof token === 'string') return token;
  if (Buffer.isBuffer(token)) return token.toString('utf8');
  return '';
}
