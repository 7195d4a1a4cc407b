/**
 * A quick look at a Bulk Add CSV before it leaves the browser: the first rows, the addresses,
 * and the obvious mistakes. The server's row-by-row report (api/core/csv-import.ts) stays the
 * authority; this only lets an admin spot a wrong file early. Passwords are never shown.
 */
export interface PreviewRow {
  /** Line as a spreadsheet shows it (header = line 1). */
  line: number;
  sourceAddress: string;
  destinationAddress: string;
  problem?: string;
}
export interface CsvPreview { rows: PreviewRow[]; total: number; withProblems: number; hasHeader: boolean }

const PREVIEW_ROWS = 50;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function previewCsv(text: string, limit = PREVIEW_ROWS): CsvPreview {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.find((l) => l.trim()) ?? '';
  const delimiter = (first.match(/;/g)?.length ?? 0) > (first.match(/,/g)?.length ?? 0) ? ';' : ',';
  const hasHeader = /source|destination/i.test(first) && !first.includes('@');
  const headerIndex = hasHeader ? lines.indexOf(first) : -1;
  const rows: PreviewRow[] = [];
  let total = 0;
  let withProblems = 0;
  lines.forEach((raw, index) => {
    if (!raw.trim() || index === headerIndex) return;
    const [source = '', destination = ''] = splitRecord(raw, delimiter).map((f) => f.trim());
    const problem = !EMAIL.test(source) ? `Source Email "${source}" is not an e-mail address`
      : !EMAIL.test(destination) ? `Destination Email "${destination}" is not an e-mail address` : undefined;
    total++;
    if (problem) withProblems++;
    if (rows.length < limit) rows.push({ line: index + 1, sourceAddress: source, destinationAddress: destination, problem });
  });
  return { rows, total, withProblems, hasHeader };
}

/** One line of CSV with "quoted, fields" and "" escapes (multi-line fields are left to the server). */
function splitRecord(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) { fields.push(field); field = ''; } else field += ch;
  }
  fields.push(field);
  return fields;
}
