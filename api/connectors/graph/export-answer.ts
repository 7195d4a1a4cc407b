/**
 * The answer of `exportItems`, `{"value": [{"itemId", "changeKey", "data": "<base64>", "error"}]}`,
 * read from its bytes without turning them into one string and parsing it whole: that held the
 * answer three times at once (its bytes, its text, each item's base64 as a string) for up to 20
 * items of up to megabytes each. Here each `data` stays a view of the answer's bytes (base64 is
 * ASCII and needs no JSON escape, so the bytes are the value), and only the small values (ids,
 * change keys, an item's error) go through JSON.parse. Any other property is skipped, whatever it
 * holds. A `data` written with JSON escapes (`\/`) is unescaped the slow way.
 */

export interface ExportedValue {
  itemId?: string;
  changeKey?: string;
  /** The item's stream as base64 bytes: a view of the answer, not a copy. */
  data?: Buffer;
  error?: { code?: string; message?: string };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

class AnswerError extends Error {}

/** Reads an exportItems answer; throws when the bytes are not such an answer. */
export function scanExportAnswer(bytes: Buffer): ExportedValue[] {
  const r = new Reader(bytes);
  const out: ExportedValue[] = [];
  r.expect(OPEN_BRACE);
  r.members((key) => {
    if (key !== 'value') return r.skipValue();
    r.expect(OPEN_BRACKET);
    r.elements(() => out.push(readItem(r)));
  });
  r.end();
  return out;
}

function readItem(r: Reader): ExportedValue {
  const item: ExportedValue = {};
  r.expect(OPEN_BRACE);
  r.members((key) => {
    if (key === 'data') item.data = r.base64();
    else if (key === 'itemId' || key === 'changeKey') item[key] = r.small() as string;
    else if (key === 'error') item.error = r.small() as ExportedValue['error'];
    else r.skipValue();
  });
  return item;
}

class Reader {
  private at = 0;

  constructor(private readonly bytes: Buffer) {}

  private fail(what: string): never {
    throw new AnswerError(`expected ${what} at byte ${this.at} of ${this.bytes.length}`);
  }

  private space(): void {
    const b = this.bytes;
    while (this.at < b.length && (b[this.at] === 0x20 || b[this.at] === 0x0a || b[this.at] === 0x0d || b[this.at] === 0x09)) this.at++;
  }

  private peek(): number | undefined {
    this.space();
    return this.bytes[this.at];
  }

  expect(byte: number): void {
    if (this.peek() !== byte) this.fail(`'${String.fromCharCode(byte)}'`);
    this.at++;
  }

  end(): void {
    if (this.peek() !== undefined) this.fail('the end of the answer');
  }

  /** Object members after '{', through '}'; `each` reads the value of `key`. */
  members(each: (key: string) => void): void {
    if (this.peek() === CLOSE_BRACE) {
      this.at++;
      return;
    }
    for (;;) {
      const key = JSON.parse(this.bytes.toString('utf8', ...this.string())) as string;
      this.expect(COLON);
      each(key);
      const next = this.peek();
      this.at++;
      if (next === CLOSE_BRACE) return;
      if (next !== COMMA) this.fail("',' or '}'");
    }
  }

  /** Array elements after '[', through ']'. */
  elements(each: () => void): void {
    if (this.peek() === CLOSE_BRACKET) {
      this.at++;
      return;
    }
    for (;;) {
      each();
      const next = this.peek();
      this.at++;
      if (next === CLOSE_BRACKET) return;
      if (next !== COMMA) this.fail("',' or ']'");
    }
  }

  /** [start, end) of a JSON string, quotes included; `at` moves past it. */
  private string(): [number, number] {
    if (this.peek() !== QUOTE) this.fail('a string');
    const start = this.at;
    let i = start + 1;
    for (;;) {
      const q = this.bytes.indexOf(QUOTE, i);
      if (q < 0) this.fail('the end of a string');
      let slashes = 0;
      while (this.bytes[q - 1 - slashes] === BACKSLASH) slashes++;
      i = q + 1;
      if (slashes % 2 === 0) break;
    }
    this.at = i;
    return [start, i];
  }

  /** A string value's bytes: a view when it has no escape (base64 never needs one). */
  base64(): Buffer | undefined {
    if (this.peek() === 0x6e) {
      // null
      this.skipValue();
      return undefined;
    }
    const [start, end] = this.string();
    const inner = this.bytes.subarray(start + 1, end - 1);
    if (inner.indexOf(BACKSLASH) < 0) return inner;
    return Buffer.from((JSON.parse(this.bytes.toString('utf8', start, end)) as string).replace(/\s+/g, ''), 'latin1'); // base64 split into lines: the lines joined
  }

  /** A small value (an id, an error object) parsed by JSON.parse. */
  small(): unknown {
    this.space();
    const start = this.at;
    this.skipValue();
    return JSON.parse(this.bytes.toString('utf8', start, this.at));
  }

  /** Moves past one value of any kind. */
  skipValue(): void {
    const first = this.peek();
    if (first === QUOTE) return void this.string();
    if (first === OPEN_BRACE || first === OPEN_BRACKET) {
      let depth = 0;
      for (;;) {
        const b = this.peek();
        if (b === undefined) this.fail('the end of an object or array');
        if (b === QUOTE) {
          this.string();
          continue;
        }
        this.at++;
        if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
        else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
        if (depth === 0) return;
      }
    }
    const b = this.bytes;
    const start = this.at;
    while (
      this.at < b.length &&
      b[this.at] !== COMMA &&
      b[this.at] !== CLOSE_BRACE &&
      b[this.at] !== CLOSE_BRACKET &&
      b[this.at] !== 0x20 &&
      b[this.at] !== 0x0a &&
      b[this.at] !== 0x0d
    )
      this.at++;
    if (this.at === start) this.fail('a value');
  }
}

export function isAnswerError(error: unknown): boolean {
  return error instanceof AnswerError;
}
