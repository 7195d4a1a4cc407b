/**
 * The text of one support option line: `Key=Value`, `Key = Value` or `Key="quoted value"`.
 * Split from support-options.ts so that file holds what the options mean, this one how they are written.
 */

/** A line split into key and value, or what is wrong with it; `key` is set whenever one could be read. */
export type OptionLine =
  | { key: string; value: string; problem?: undefined }
  | { key: string; value?: undefined; problem: string }
  | { key?: undefined; value?: undefined; problem: string };

const QUOTE = '"';
const BACKSLASH = '\\';
const MAPPING_ARROW = '->';

export function parseOptionLine(line: string): OptionLine {
  const equals = line.indexOf('=');
  if (equals < 0) {
    return { problem: `"${line.trim()}" is not an option: write it as Key=Value, e.g. FolderFilter=^(?!Inbox$).` };
  }
  const key = line.slice(0, equals).trim();
  if (key === '') return { problem: 'The option has no name before "="; write it as Key=Value.' };
  const raw = line.slice(equals + 1).trim();
  // Only values that open with a quote are quoted; `=` and `"` later in an unquoted value are literal.
  if (!raw.startsWith(QUOTE)) return { key, value: raw };
  const unquoted = unquote(raw);
  return 'value' in unquoted ? { key, value: unquoted.value } : { key, problem: unquoted.problem };
}

/**
 * Only `\"` is an escape. Any other backslash is kept with the character after it, because
 * values are mostly regular expressions (`^INBOX\.Archive`) that admins paste from elsewhere;
 * keeping `\\` as a pair also stops it from escaping a closing quote that follows.
 */
function unquote(raw: string): { value: string } | { problem: string } {
  let value = '';
  let i = 1;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === BACKSLASH && i + 1 < raw.length) {
      const next = raw[i + 1]!;
      value += next === QUOTE ? QUOTE : ch + next;
      i += 2;
      continue;
    }
    if (ch === QUOTE) {
      if (raw.slice(i + 1).trim() !== '') {
        return { problem: 'text follows the closing quote; put the whole value inside the quotes and write a quote inside it as \\".' };
      }
      return { value };
    }
    value += ch;
    i++;
  }
  return { problem: 'the value opens a quote (") that is never closed.' };
}

/**
 * `<from>-><to>` split on the first arrow. Returns undefined when there is no arrow. The first
 * arrow because a regular expression on the left seldom contains `->` and a folder path on the
 * right never needs to.
 */
export function splitMapping(value: string): { from: string; to: string } | undefined {
  const arrow = value.indexOf(MAPPING_ARROW);
  if (arrow < 0) return undefined;
  return { from: value.slice(0, arrow), to: value.slice(arrow + MAPPING_ARROW.length) };
}
