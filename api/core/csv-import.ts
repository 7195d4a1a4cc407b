/**
 * Bulk Add: items from a CSV file as admins export it from a spreadsheet or from their tenant
 * (MigrationWiz-style columns: Source Email, Destination Email, Source Login Name, Source
 * Password, Destination Login Name, Destination Password). Every problem names the line as
 * the spreadsheet shows it and the column by its header, and good rows are kept so one typo
 * does not block a 5,000-mailbox import. Passwords are never repeated in a message.
 */
import { describeAddressProblem, normalizeAddress } from './email-address.js';
import { nearestName } from './nearest-name.js';
import { detectDelimiter, readCsvRecords, type CsvRecord } from './csv-records.js';

export interface CsvItemRow {
  /** Line of the row in the file (the header, when present, is line 1). */
  line: number;
  sourceAddress: string;
  destinationAddress: string;
  sourceLogin?: string;
  sourcePassword?: string;
  destinationLogin?: string;
  destinationPassword?: string;
  /** The end user confirms the source password from an e-mailed link ("Waiting For End User"). */
  endUserCredentials?: boolean;
}

export interface CsvProblem {
  line: number;
  /** The column's header as written in the file, or its standard name when the file has no header. */
  column: string;
  message: string;
}

/** Large enough for any tenant we have seen in one file; beyond it the tab's upload and one transaction get slow. */
export const DEFAULT_MAX_CSV_ROWS = 50_000;

type ColumnField = Exclude<keyof CsvItemRow, 'line'>;

interface ColumnSpec {
  field: ColumnField;
  title: string;
  /** Spellings accepted in a header, compared after `normalizeHeader`. */
  aliases: string[];
}

/** In this order when the file has no header. */
const COLUMNS: readonly ColumnSpec[] = [
  { field: 'sourceAddress', title: 'Source Email', aliases: ['sourceemail', 'source', 'sourceemailaddress', 'sourceaddress'] },
  {
    field: 'destinationAddress',
    title: 'Destination Email',
    aliases: ['destinationemail', 'destination', 'destinationemailaddress', 'destinationaddress'],
  },
  { field: 'sourceLogin', title: 'Source Login Name', aliases: ['sourceloginname', 'sourcelogin', 'sourceusername', 'sourceuser'] },
  { field: 'sourcePassword', title: 'Source Password', aliases: ['sourcepassword'] },
  {
    field: 'destinationLogin',
    title: 'Destination Login Name',
    aliases: ['destinationloginname', 'destinationlogin', 'destinationusername', 'destinationuser'],
  },
  { field: 'destinationPassword', title: 'Destination Password', aliases: ['destinationpassword'] },
  {
    field: 'endUserCredentials',
    title: 'End User Confirms Password',
    aliases: ['enduserconfirmspassword', 'endusercredentials', 'enduser', 'waitforenduser', 'askenduser'],
  },
];
/** How spreadsheets write a tick: Yes/No, TRUE/FALSE, 1/0, X; an empty cell is No. */
const YES = new Set(['yes', 'y', 'true', '1', 'x']);
const NO = new Set(['no', 'n', 'false', '0', '']);

const COLUMN_TITLES = COLUMNS.map((spec) => spec.title);
const COLUMNS_BY_ALIAS = new Map<string, ColumnSpec>(COLUMNS.flatMap((spec) => spec.aliases.map((alias) => [alias, spec] as const)));
const REQUIRED_FIELDS: readonly ColumnField[] = ['sourceAddress', 'destinationAddress'];
const ADDRESS_FIELDS: ReadonlySet<ColumnField> = new Set(['sourceAddress', 'destinationAddress']);
const PASSWORD_FIELDS: ReadonlySet<ColumnField> = new Set(['sourcePassword', 'destinationPassword']);
/** Problems that concern a whole row or the whole file rather than one cell. */
const WHOLE_ROW = '';

/** What each position of a row means, and what to call it in a problem. */
interface Layout {
  fields: (ColumnField | undefined)[];
  titles: string[];
}

/** Every data row as written (good or not): what a preview lists before the file is sent. */
export interface CsvDataLine {
  line: number;
  sourceAddress: string;
  destinationAddress: string;
}

export interface ParsedItemsCsv {
  rows: CsvItemRow[];
  problems: CsvProblem[];
  /** The header's line, when the file has one. */
  headerLine?: number;
  /** Each data record's address cells, trimmed, read with the same layout as `rows`. */
  dataLines: CsvDataLine[];
}

export function parseItemsCsv(text: string, options: { maxRows?: number } = {}): ParsedItemsCsv {
  const maxRows = options.maxRows ?? DEFAULT_MAX_CSV_ROWS;
  const { records, unterminated } = readCsvRecords(text, detectDelimiter(text));
  const nonBlank = records.filter((record) => record.fields.some((value) => value.trim() !== ''));
  const problems: CsvProblem[] = [];
  const header = nonBlank[0] && isHeader(nonBlank[0]) ? nonBlank[0] : undefined;
  const layout = header ? headerLayout(header, problems) : positionalLayout();
  for (const quote of unterminated) {
    problems.push({
      line: quote.line,
      column: layout.titles[quote.fieldIndex] ?? columnNumber(quote.fieldIndex),
      message: 'A quote (") opens here and is never closed, so this row was not added; close the quote or remove it.',
    });
  }
  const dataRecords = header ? nonBlank.slice(1) : nonBlank;
  const cell = (record: CsvRecord, field: ColumnField) => (record.fields[layout.fields.indexOf(field)] ?? '').trim();
  const dataLines = dataRecords.map((r) => ({
    line: r.line,
    sourceAddress: cell(r, 'sourceAddress'),
    destinationAddress: cell(r, 'destinationAddress'),
  }));
  const missing = REQUIRED_FIELDS.filter((field) => !layout.fields.includes(field));
  if (missing.length > 0) {
    for (const field of missing) {
      const title = titleOf(field);
      problems.push({
        line: header?.line ?? 1,
        column: title,
        message: `The header has no ${title} column; add one (it may also be called ${aliasHint(field)}), so no rows were added.`,
      });
    }
    return { rows: [], problems: sortByLine(problems), headerLine: header?.line, dataLines };
  }
  if (dataRecords.length === 0 && unterminated.length === 0) {
    problems.push({
      line: 1,
      column: WHOLE_ROW,
      message: header ? 'The file has a header but no mailboxes under it.' : 'The file is empty; add one mailbox per line.',
    });
  }
  const rows = readRows(dataRecords.slice(0, maxRows), layout, problems);
  const overflow = dataRecords[maxRows];
  if (overflow) {
    problems.push({
      line: overflow.line,
      column: WHOLE_ROW,
      message: `The file has ${dataRecords.length} rows but at most ${maxRows} are added at once; rows from line ${overflow.line} on were not added, so split the file.`,
    });
  }
  return { rows, problems: sortByLine(problems), headerLine: header?.line, dataLines };
}

/**
 * `fromDomain` replaced by `toDomain` in `address` ("Change Domain"); the domain match ignores
 * case and a leading `@` on either domain. An address in another domain comes back unchanged.
 */
export function changeDomain(address: string, fromDomain: string, toDomain: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const bare = (domain: string): string => domain.trim().replace(/^@/, '');
  if (address.slice(at + 1).toLowerCase() !== bare(fromDomain).toLowerCase()) return address;
  return `${address.slice(0, at)}@${bare(toDomain).toLowerCase()}`;
}

/** A header has at least one cell naming a known column; an address never does. */
function isHeader(record: CsvRecord): boolean {
  return record.fields.some((cell) => COLUMNS_BY_ALIAS.has(normalizeHeader(cell)));
}

/** "Source E-mail", "source_email" and "SourceEmail" all read as `sourceemail`. */
function normalizeHeader(cell: string): string {
  return cell.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

function headerLayout(header: CsvRecord, problems: CsvProblem[]): Layout {
  const layout: Layout = { fields: [], titles: [] };
  const seen = new Map<ColumnField, string>();
  header.fields.forEach((cell, index) => {
    const title = cell.trim();
    const spec = COLUMNS_BY_ALIAS.get(normalizeHeader(cell));
    layout.titles.push(title || columnNumber(index));
    if (!spec) {
      layout.fields.push(undefined);
      // Spreadsheets often export a few empty columns at the end; only named ones are worth a word.
      if (title !== '') {
        const nearest = nearestName(title, COLUMN_TITLES);
        const hint = nearest ? ` Did you mean ${nearest}?` : '';
        problems.push({
          line: header.line,
          column: title,
          message: `"${title}" is not a column Mailferry knows, so its values are ignored.${hint} Known columns: ${COLUMN_TITLES.join(', ')}.`,
        });
      }
      return;
    }
    const earlier = seen.get(spec.field);
    if (earlier !== undefined) {
      layout.fields.push(undefined);
      problems.push({
        line: header.line,
        column: title,
        message: `"${title}" repeats the column "${earlier}"; only the first one is read, so remove one of them.`,
      });
      return;
    }
    seen.set(spec.field, title);
    layout.fields.push(spec.field);
  });
  return layout;
}

function positionalLayout(): Layout {
  return { fields: COLUMNS.map((spec) => spec.field), titles: COLUMNS.map((spec) => spec.title) };
}

function readRows(records: CsvRecord[], layout: Layout, problems: CsvProblem[]): CsvItemRow[] {
  const rows: CsvItemRow[] = [];
  const firstLineBySource = new Map<string, number>();
  for (const record of records) {
    const rowProblems = checkRowShape(record, layout);
    const row = rowProblems.length === 0 ? readRow(record, layout, rowProblems) : undefined;
    if (row) {
      const sourceKey = row.sourceAddress.toLowerCase();
      const first = firstLineBySource.get(sourceKey);
      if (first !== undefined) {
        rowProblems.push({
          line: record.line,
          column: titleIn(layout, 'sourceAddress'),
          message: `${row.sourceAddress} is already on line ${first}; each mailbox can be added once, so this row was not added.`,
        });
      } else {
        firstLineBySource.set(sourceKey, record.line);
      }
    }
    problems.push(...rowProblems);
    if (row && rowProblems.length === 0) rows.push(row);
  }
  return rows;
}

/** Values beyond the last column usually mean an unquoted comma shifted the row; empty ones are harmless. */
function checkRowShape(record: CsvRecord, layout: Layout): CsvProblem[] {
  const extra = record.fields.findIndex((value, index) => index >= layout.fields.length && value.trim() !== '');
  if (extra < 0) return [];
  return [
    {
      line: record.line,
      column: columnNumber(extra),
      message: `The row has ${record.fields.length} columns but the file has ${layout.fields.length}; put values that contain the delimiter in double quotes, so this row was not added.`,
    },
  ];
}

/** The row, or undefined after adding a problem for each unusable required cell. */
function readRow(record: CsvRecord, layout: Layout, problems: CsvProblem[]): CsvItemRow | undefined {
  const values: Partial<Record<ColumnField, string>> = {};
  layout.fields.forEach((field, index) => {
    const raw = record.fields[index] ?? '';
    if (field === undefined) return;
    // Passwords are taken exactly as written: leading or trailing spaces may be part of them.
    const value = PASSWORD_FIELDS.has(field) ? raw : raw.trim();
    if (value !== '') values[field] = value;
  });
  const merged = mergedCells(values);
  if (merged) {
    problems.push({
      line: record.line,
      column: titleIn(layout, merged.field),
      message: `${titleIn(layout, merged.field)} holds several values separated by ${merged.separator}: the row's separator differs from the file's, so this row was not added. Use commas or semicolons throughout (one per file), and quote values that contain one.`,
    });
    return undefined;
  }
  let usable = true;
  for (const field of ADDRESS_FIELDS) {
    const value = values[field] ?? '';
    const problem = value === '' ? `${titleOf(field)} is empty; every row needs one.` : describeAddressProblem(value);
    if (problem !== undefined) {
      usable = false;
      problems.push({
        line: record.line,
        column: titleIn(layout, field),
        message: value === '' ? problem : `Not a valid email address: ${problem}.`,
      });
    }
  }
  if (!usable) return undefined;
  const row: CsvItemRow = {
    line: record.line,
    sourceAddress: normalizeAddress(values.sourceAddress!),
    destinationAddress: normalizeAddress(values.destinationAddress!),
  };
  for (const field of ['sourceLogin', 'sourcePassword', 'destinationLogin', 'destinationPassword'] as const) {
    if (values[field] !== undefined) row[field] = values[field];
  }
  const endUser = (values.endUserCredentials ?? '').toLowerCase();
  if (YES.has(endUser)) row.endUserCredentials = true;
  else if (!NO.has(endUser)) {
    problems.push({
      line: record.line,
      column: titleIn(layout, 'endUserCredentials'),
      // The cell is not repeated: in a row shifted by an unquoted delimiter it can hold the password.
      message: `The value is neither Yes nor No; write Yes when the end user confirms the source password from an e-mailed link, or leave it empty. This row was not added.`,
    });
    return undefined;
  }
  return row;
}

/** Characters no address or login contains, but a row split by another separator (a tab-separated line, a ';' line in a ',' file) leaves inside one cell. */
const SEPARATOR_IN_CELL = /[,;\t|]/;

/**
 * The first address or login cell that holds a whole row's worth of values. Such a cell can hold
 * the row's password, so the problem names the column and the separator and never the cell.
 */
function mergedCells(values: Partial<Record<ColumnField, string>>): { field: ColumnField; separator: string } | undefined {
  for (const spec of COLUMNS) {
    const value = values[spec.field];
    if (PASSWORD_FIELDS.has(spec.field) || value === undefined) continue;
    const found = SEPARATOR_IN_CELL.exec(value)?.[0];
    if (found) return { field: spec.field, separator: found === '\t' ? 'tabs' : `"${found}"` };
  }
  return undefined;
}

function titleOf(field: ColumnField): string {
  return COLUMNS.find((spec) => spec.field === field)!.title;
}

function titleIn(layout: Layout, field: ColumnField): string {
  const index = layout.fields.indexOf(field);
  return index >= 0 ? layout.titles[index]! : titleOf(field);
}

function aliasHint(field: ColumnField): string {
  return field === 'sourceAddress' ? '"Source" or "SourceEmail"' : '"Destination" or "DestinationEmail"';
}

/** Spreadsheet-style name for a column with no header: "Column 7". */
function columnNumber(index: number): string {
  return `Column ${index + 1}`;
}

function sortByLine(problems: CsvProblem[]): CsvProblem[] {
  return [...problems].sort((a, b) => a.line - b.line);
}
