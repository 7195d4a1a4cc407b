/**
 * Text from outside Mailferry (server error reasons, admin-typed names) made safe for a card
 * TextBlock, which Teams renders as Markdown.
 */

const ELLIPSIS = '…';
/** CommonMark §2.4: a backslash makes these literal, so a server's reply cannot become a link or emphasis. */
const MARKDOWN_SPECIALS = /[\\`*_[\]~]/g;

/** At most `maxChars` code points (never splits a surrogate pair), ending with "…" when cut. */
export function truncateText(text: string, maxChars: number): string {
  const chars = Array.from(text);
  if (chars.length <= maxChars) return text;
  return chars.slice(0, Math.max(0, maxChars - ELLIPSIS.length)).join('') + ELLIPSIS;
}

/** One line (server replies often carry CRLFs and indentation), cut to size, Markdown-escaped. */
export function plainCardText(text: string, maxChars: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return truncateText(oneLine, maxChars).replace(MARKDOWN_SPECIALS, (c) => `\\${c}`);
}
