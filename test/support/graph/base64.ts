/**
 * The Graph test server's base64 checks (importItem `Data`, importMime's body, CSDL `Edm.Binary`)
 * without a regular expression over the whole text: `/^[A-Za-z0-9+/]*={0,2}$/` took about 1 ms per
 * 80 KB item on the 2-core test machine (6% of the server's CPU in the Graph bench), a loop over the
 * text's bytes 0.1 ms. The rule is the same: the alphabet, then at most two `=` at the end; with
 * `spaces`, ASCII whitespace anywhere is ignored (as `text.replace(/\s+/g, '')` did). Text with
 * anything beyond ASCII goes to the regular expressions themselves, so their answer stays the rule.
 */
const ALPHABET = 1;
const PAD = 2;
const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function table(extra: string): Uint8Array {
  const t = new Uint8Array(256);
  for (const ch of `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/${extra}`) t[ch.charCodeAt(0)] = ALPHABET;
  t['='.charCodeAt(0)] = PAD;
  return t;
}

const STANDARD_TABLE = table('');
const URL_SAFE_TABLE = table('-_');
/** ASCII characters `\s` matches. */
const ASCII_SPACES = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20];

export interface Base64Rule {
  /** `-` and `_` belong to the alphabet too (CSDL Edm.Binary takes base64url). */
  urlSafe?: boolean;
  /** Whitespace anywhere is ignored. */
  spaces?: boolean;
}

/**
 * How many base64 characters (padding included, whitespace not) `text` holds when it is base64
 * by `rule`; undefined when it is not.
 */
export function base64Length(text: string, rule: Base64Rule = {}): number | undefined {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length !== text.length) return slowLength(text, rule); // not ASCII
  const t = rule.urlSafe ? URL_SAFE_TABLE : STANDARD_TABLE;
  let count = 0;
  let pads = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    const kind = t[c];
    if (kind === ALPHABET) {
      if (pads > 0) return undefined;
      count++;
    } else if (kind === PAD) {
      if (++pads > 2) return undefined;
      count++;
    } else if (!(rule.spaces && ASCII_SPACES.includes(c))) {
      return undefined;
    }
  }
  return count;
}

function slowLength(text: string, rule: Base64Rule): number | undefined {
  const compact = rule.spaces ? text.replace(/\s+/g, '') : text;
  return (rule.urlSafe ? URL_SAFE : STANDARD).test(compact) ? compact.length : undefined;
}
