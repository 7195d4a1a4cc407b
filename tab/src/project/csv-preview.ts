/**
 * A quick look at a Bulk Add CSV before it leaves the browser: the first rows, the addresses,
 * and every problem the server would report. The checks are the server's own
 * (api/core/csv-import.ts `parseItemsCsv`), run here on the same text, so a row the preview
 * calls OK is a row the server adds (unless its mailbox is already in the project, which only
 * the server knows). Passwords are never shown.
 */
import { parseItemsCsv, type CsvProblem } from '../../../api/core/csv-import';

export interface PreviewRow {
  /** Line as a spreadsheet shows it (header = line 1). */
  line: number;
  sourceAddress: string;
  destinationAddress: string;
  problem?: string;
}
export interface CsvPreview {
  rows: PreviewRow[];
  total: number;
  withProblems: number;
  hasHeader: boolean;
  /** Problems of the header or of the whole file ("The header has no Source Email column…"). */
  fileProblems: string[];
}

const PREVIEW_ROWS = 50;

export function previewCsv(text: string, limit = PREVIEW_ROWS): CsvPreview {
  const { rows: kept, problems, headerLine, dataLines } = parseItemsCsv(text);
  const keptLines = new Set(kept.map((r) => r.line));
  const problemsByLine = new Map<number, string[]>();
  for (const p of problems) problemsByLine.set(p.line, [...(problemsByLine.get(p.line) ?? []), describe(p)]);
  const rows: PreviewRow[] = [];
  let withProblems = 0;
  for (const data of dataLines) {
    // A row past the server's limit has no problem of its own line: it is simply not added.
    const problem =
      problemsByLine.get(data.line)?.join(' ') ??
      (keptLines.has(data.line) ? undefined : 'This row is not added (see the problem above it).');
    if (problem) withProblems++;
    if (rows.length < limit) rows.push({ ...data, problem });
  }
  const dataLineNumbers = new Set(dataLines.map((d) => d.line));
  const fileProblems = problems.filter((p) => !dataLineNumbers.has(p.line)).map(describe);
  return { rows, total: dataLines.length, withProblems, hasHeader: headerLine !== undefined, fileProblems };
}

function describe(problem: CsvProblem): string {
  return problem.column ? `${problem.column}: ${problem.message}` : problem.message;
}
