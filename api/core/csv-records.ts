/**
 * RFC 4180 records with the line each starts on, as a spreadsheet numbers them. Lenient where
 * spreadsheets are (LF or CR line ends, text after a closing quote, spaces before an opening
 * quote) and strict only where guessing would lose data: an unterminated quote is reported
 * with the line it opened on and reading resumes on the next line, so one stray quote does not
 * swallow the rest of the file.
 */

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

export interface UnterminatedQuote {
  /** 1-based line on which the unclosed quote opened. */
  line: number;
  /** 0-based index of the field the quote opened. */
  fieldIndex: number;
}

export type CsvDelimiter = ',' | ';';

const QUOTE = '"';
const CR = '\r';
const LF = '\n';
export const BYTE_ORDER_MARK = '\uFEFF';

/**
 * `;` when the first line has more unquoted semicolons than commas: Excel writes `;` in
 * locales whose decimal separator is a comma (most of Europe).
 */
export function detectDelimiter(text: string): CsvDelimiter {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === QUOTE) quoted = !quoted;
    else if (!quoted && (ch === LF || ch === CR)) break;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

export function readCsvRecords(text: string, delimiter: CsvDelimiter): { records: CsvRecord[]; unterminated: UnterminatedQuote[] } {
  const records: CsvRecord[] = [];
  const unterminated: UnterminatedQuote[] = [];
  let pos = text.startsWith(BYTE_ORDER_MARK) ? BYTE_ORDER_MARK.length : 0;
  let line = 1;
  while (pos < text.length) {
    const read = readRecord(text, pos, line, delimiter);
    if ('quotePos' in read) {
      unterminated.push({ line: read.quoteLine, fieldIndex: read.fieldIndex });
      pos = afterLineBreak(text, read.quotePos);
      line = read.quoteLine + 1;
      continue;
    }
    records.push({ line, fields: read.fields });
    pos = read.pos;
    line = read.line;
  }
  return { records, unterminated };
}

type RecordRead = { fields: string[]; pos: number; line: number } | { quotePos: number; quoteLine: number; fieldIndex: number };

function readRecord(text: string, start: number, startLine: number, delimiter: CsvDelimiter): RecordRead {
  const fields: string[] = [];
  let field = '';
  let pos = start;
  let line = startLine;
  let quoted = false;
  let quotePos = 0;
  let quoteLine = 0;
  let fieldStarted = false;
  while (pos < text.length) {
    const ch = text[pos]!;
    if (quoted) {
      if (ch === QUOTE) {
        if (text[pos + 1] === QUOTE) {
          field += QUOTE;
          pos += 2;
          continue;
        }
        quoted = false;
      } else {
        if (isLineBreakAt(text, pos)) line++;
        field += ch;
      }
      pos++;
      continue;
    }
    if (ch === QUOTE && (!fieldStarted || field.trim() === '')) {
      quoted = true;
      quotePos = pos;
      quoteLine = line;
      field = '';
      fieldStarted = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === LF || ch === CR) {
      fields.push(field);
      return { fields, pos: afterLineBreak(text, pos), line: line + 1 };
    } else {
      field += ch;
      fieldStarted = true;
    }
    pos++;
  }
  if (quoted) return { quotePos, quoteLine, fieldIndex: fields.length };
  fields.push(field);
  return { fields, pos, line };
}

/** True where a line ends: LF, or a CR not followed by LF (CRLF counts once, at its LF). */
function isLineBreakAt(text: string, pos: number): boolean {
  return text[pos] === LF || (text[pos] === CR && text[pos + 1] !== LF);
}

/** Position just after the first line break at or after `pos`, or the end of the text. */
function afterLineBreak(text: string, pos: number): number {
  for (let i = pos; i < text.length; i++) {
    if (text[i] === CR) return text[i + 1] === LF ? i + 2 : i + 1;
    if (text[i] === LF) return i + 1;
  }
  return text.length;
}
