import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CSV_ROWS, changeDomain, parseItemsCsv } from '../../api/core/csv-import.js';

const HEADER = 'Source Email,Destination Email,Source Login Name,Source Password,Destination Login Name,Destination Password';

function csv(...lines: string[]): string {
  return lines.join('\n');
}

describe('parseItemsCsv', () => {
  it('reads MigrationWiz-style columns, numbering rows as a spreadsheet does (header = line 1)', () => {
    const { rows, problems } = parseItemsCsv(csv(HEADER, 'ann@src.com,ann@dst.com,ann,pw1,ann.d,pw2', 'bob@src.com,bob@dst.com'));
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        sourceAddress: 'ann@src.com',
        destinationAddress: 'ann@dst.com',
        sourceLogin: 'ann',
        sourcePassword: 'pw1',
        destinationLogin: 'ann.d',
        destinationPassword: 'pw2',
      },
      { line: 3, sourceAddress: 'bob@src.com', destinationAddress: 'bob@dst.com' },
    ]);
  });

  it('recognises header names whatever their case, spacing or order, including the short forms', () => {
    const { rows, problems } = parseItemsCsv(csv('DESTINATION, source_email ,SourcePassword', 'ann@dst.com,ann@src.com,pw'));
    expect(problems).toEqual([]);
    expect(rows).toEqual([{ line: 2, sourceAddress: 'ann@src.com', destinationAddress: 'ann@dst.com', sourcePassword: 'pw' }]);
  });

  it('reads a file without a header positionally, starting at line 1', () => {
    const { rows, problems } = parseItemsCsv(csv('ann@src.com,ann@dst.com,ann', 'bob@src.com,bob@dst.com'));
    expect(problems).toEqual([]);
    expect(rows.map((r) => [r.line, r.sourceAddress, r.sourceLogin])).toEqual([
      [1, 'ann@src.com', 'ann'],
      [2, 'bob@src.com', undefined],
    ]);
  });

  it('detects ; as the delimiter from the first line, as European Excel writes it', () => {
    const { rows, problems } = parseItemsCsv(csv('Source Email;Destination Email;Source Password', 'ann@src.com;ann@dst.com;p,w'));
    expect(problems).toEqual([]);
    expect(rows[0]).toMatchObject({ sourceAddress: 'ann@src.com', sourcePassword: 'p,w' });
  });

  it("refuses a row whose separator differs from the file's without repeating the password it swallowed", () => {
    const text = csv(
      HEADER,
      'ann@src.com\tann@dst.com\tann\tTab-Secret-1',
      'bob@src.com,bob@dst.com,bob;Semi-Secret-2',
      'carl@src.com|carl@dst.com|carl|Pipe-Secret-3',
      'dora@src.com,dora@dst.com,dora,"pw;with,separators"',
    );
    const { rows, problems } = parseItemsCsv(text);
    expect(rows.map((r) => r.sourceAddress)).toEqual(['dora@src.com']);
    expect(rows[0]!.sourcePassword).toBe('pw;with,separators');
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [2, 'Source Email'],
      [3, 'Source Login Name'],
      [4, 'Source Email'],
    ]);
    expect(problems[0]!.message).toMatch(/separated by tabs/);
    expect(JSON.stringify(problems)).not.toMatch(/Secret/);
  });

  it('does not repeat a password that an unquoted comma shifted into the End User Confirms Password column', () => {
    const { rows, problems } = parseItemsCsv(csv('a@src.com,a@dst.com,lo,gin,x,y,Shifted-Secret-9'));
    expect(rows).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({ line: 1, column: 'End User Confirms Password', message: expect.stringMatching(/neither Yes nor No/) }),
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/Secret/);
  });

  it('handles quoted fields with commas, "" escapes and line breaks, and counts lines through them', () => {
    const text = csv(HEADER, 'ann@src.com,ann@dst.com,ann,"a,""b""', 'c",,', '"bob@src.com","bob@dst.com"', 'carl@src.com,bad-destination');
    const { rows, problems } = parseItemsCsv(text);
    expect(rows[0]).toMatchObject({ line: 2, sourcePassword: 'a,"b"\nc' });
    expect(rows[1]).toMatchObject({ line: 4, sourceAddress: 'bob@src.com' });
    expect(problems).toEqual([{ line: 5, column: 'Destination Email', message: 'Not a valid email address: the address has no @.' }]);
  });

  it('strips a UTF-8 BOM, accepts CRLF and ignores trailing empty lines', () => {
    const { rows, problems } = parseItemsCsv(`\uFEFF${HEADER}\r\nann@src.com,ann@dst.com\r\n\r\n\r\n`);
    expect(problems).toEqual([]);
    expect(rows).toEqual([{ line: 2, sourceAddress: 'ann@src.com', destinationAddress: 'ann@dst.com' }]);
  });

  it('skips blank rows in the middle without shifting line numbers', () => {
    const { rows } = parseItemsCsv(csv(HEADER, 'ann@src.com,ann@dst.com', ',,,,,', '', 'bob@src.com,bob@dst.com'));
    expect(rows.map((r) => r.line)).toEqual([2, 5]);
  });

  it('trims addresses and lower-cases only their domain', () => {
    const { rows } = parseItemsCsv(csv(HEADER, '  Ann.Lee@SRC.com , Ann.Lee@Dst.COM '));
    expect(rows[0]).toMatchObject({ sourceAddress: 'Ann.Lee@src.com', destinationAddress: 'Ann.Lee@dst.com' });
  });

  it('keeps passwords exactly as written, spaces included', () => {
    const { rows } = parseItemsCsv(csv(HEADER, 'ann@src.com,ann@dst.com,ann," pass word "'));
    expect(rows[0]!.sourcePassword).toBe(' pass word ');
  });

  it('says what is wrong with each invalid address, at its line and column, and keeps the good rows', () => {
    const { rows, problems } = parseItemsCsv(
      csv(
        HEADER,
        'ann@src.com,ann@dst.com',
        'bob@@src.com,bob@dst.com',
        '@src.com,x@dst.com',
        'dan@src,dan@dst.com',
        'eve@src.com,eve smith@dst.com',
        'fay@src.com,fay@dst..com',
      ),
    );
    expect(rows.map((r) => r.sourceAddress)).toEqual(['ann@src.com']);
    expect(problems).toEqual([
      { line: 3, column: 'Source Email', message: 'Not a valid email address: the address has more than one @.' },
      { line: 4, column: 'Source Email', message: 'Not a valid email address: nothing comes before the @.' },
      {
        line: 5,
        column: 'Source Email',
        message: 'Not a valid email address: the domain "src" has no dot (expected something like example.com).',
      },
      { line: 6, column: 'Destination Email', message: 'Not a valid email address: the address contains a space.' },
      { line: 7, column: 'Destination Email', message: 'Not a valid email address: the domain "dst..com" has an empty part between dots.' },
    ]);
  });

  it("names the column as the file's header spells it", () => {
    const { problems } = parseItemsCsv(csv('source,destination', 'ann@src.com,nope'));
    expect(problems).toEqual([{ line: 2, column: 'destination', message: 'Not a valid email address: the address has no @.' }]);
  });

  it('requires a destination address on every row', () => {
    const { rows, problems } = parseItemsCsv(csv('ann@src.com', 'bob@src.com,bob@dst.com'));
    expect(rows.map((r) => r.sourceAddress)).toEqual(['bob@src.com']);
    expect(problems).toEqual([{ line: 1, column: 'Destination Email', message: 'Destination Email is empty; every row needs one.' }]);
  });

  it('reports a header without a Destination Email column and adds no rows', () => {
    const { rows, problems } = parseItemsCsv(csv('Source Email,Source Password', 'ann@src.com,pw'));
    expect(rows).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 1, column: 'Destination Email' });
    expect(problems[0]!.message).toContain('The header has no Destination Email column');
  });

  it('reports an unknown header column and a repeated one, still reading the rows', () => {
    const { rows, problems } = parseItemsCsv(csv('Source Email,Destination Email,Notes,Source', 'ann@src.com,ann@dst.com,VIP,x@y.com'));
    expect(rows).toEqual([{ line: 2, sourceAddress: 'ann@src.com', destinationAddress: 'ann@dst.com' }]);
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [1, 'Notes'],
      [1, 'Source'],
    ]);
    expect(problems[0]!.message).toContain('Known columns: Source Email, Destination Email');
    expect(problems[1]!.message).toContain('repeats the column "Source Email"');
  });

  it('suggests the column an unknown header probably meant, so a typo is easy to fix', () => {
    const { rows, problems } = parseItemsCsv(csv('Source Email,Destinaton Email', 'ann@src.com,ann@dst.com'));
    expect(rows).toEqual([]);
    expect(problems[0]).toMatchObject({
      line: 1,
      column: 'Destinaton Email',
      message: expect.stringContaining('Did you mean Destination Email?'),
    });
    expect(problems[1]).toMatchObject({
      line: 1,
      column: 'Destination Email',
      message: expect.stringContaining('The header has no Destination Email column'),
    });
  });

  it('reports a row with more columns than the file has, naming the first extra column, and skips it', () => {
    const { rows, problems } = parseItemsCsv(
      csv('Source Email,Destination Email', 'ann@src.com,ann@dst.com,,', 'bob@src.com,Smith, Bob <bob@dst.com>'),
    );
    expect(rows.map((r) => r.line)).toEqual([2]);
    expect(problems).toEqual([
      { line: 3, column: 'Column 3', message: expect.stringContaining('The row has 3 columns but the file has 2') },
    ]);
  });

  it('reports an unterminated quote on the line where it opened and still reads the rows after it', () => {
    const { rows, problems } = parseItemsCsv(
      csv(HEADER, 'ann@src.com,ann@dst.com', 'bob@src.com,"bob@dst.com', 'carl@src.com,carl@dst.com'),
    );
    expect(rows.map((r) => r.sourceAddress)).toEqual(['ann@src.com', 'carl@src.com']);
    expect(problems).toEqual([
      { line: 3, column: 'Destination Email', message: expect.stringContaining('A quote (") opens here and is never closed') },
    ]);
  });

  it('reports a repeated source address with the line of its first occurrence, ignoring case', () => {
    const { rows, problems } = parseItemsCsv(csv(HEADER, 'ann@src.com,ann@dst.com', 'bob@src.com,bob@dst.com', 'ANN@SRC.com,ann2@dst.com'));
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
    expect(problems).toEqual([
      {
        line: 4,
        column: 'Source Email',
        message: 'ANN@src.com is already on line 2; each mailbox can be added once, so this row was not added.',
      },
    ]);
  });

  it('adds at most maxRows rows and reports the first line left out', () => {
    const lines = Array.from({ length: 5 }, (_, i) => `u${i}@src.com,u${i}@dst.com`);
    const { rows, problems } = parseItemsCsv(csv(HEADER, ...lines), { maxRows: 3 });
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(problems).toEqual([
      { line: 5, column: '', message: expect.stringContaining('The file has 5 rows but at most 3 are added at once; rows from line 5 on') },
    ]);
  });

  it('allows 50,000 rows by default', () => {
    expect(DEFAULT_MAX_CSV_ROWS).toBe(50_000);
    const lines = Array.from({ length: DEFAULT_MAX_CSV_ROWS + 1 }, (_, i) => `u${i}@src.com,u${i}@dst.com`);
    const { rows, problems } = parseItemsCsv(lines.join('\n'));
    expect(rows).toHaveLength(DEFAULT_MAX_CSV_ROWS);
    expect(problems.map((p) => p.line)).toEqual([DEFAULT_MAX_CSV_ROWS + 1]);
  });

  it('never repeats a password in a problem, even when columns are shifted', () => {
    const password = 'Hunter2-Secret!';
    const text = csv(
      HEADER,
      `ann@src.com,,ann,${password}`,
      `${password},bob@dst.com,bob,${password}`,
      `carl@src.com,carl@dst.com,c,"${password}`,
    );
    const { problems } = parseItemsCsv(text);
    expect(problems.length).toBe(3);
    for (const problem of problems) expect(problem.message).not.toContain(password);
  });

  it('reports an empty file and a header with no rows', () => {
    expect(parseItemsCsv('').problems).toEqual([{ line: 1, column: '', message: 'The file is empty; add one mailbox per line.' }]);
    expect(parseItemsCsv(`${HEADER}\n`).problems[0]!.message).toBe('The file has a header but no mailboxes under it.');
  });
});

describe('changeDomain', () => {
  it('moves an address to the new domain, matching the old one case-insensitively', () => {
    expect(changeDomain('Ann.Lee@Contoso.COM', 'contoso.com', 'fabrikam.com')).toBe('Ann.Lee@fabrikam.com');
  });

  it('accepts domains written with a leading @', () => {
    expect(changeDomain('ann@contoso.com', '@contoso.com', '@Fabrikam.com')).toBe('ann@fabrikam.com');
  });

  it('returns an address in another domain unchanged, including a subdomain', () => {
    expect(changeDomain('ann@eu.contoso.com', 'contoso.com', 'fabrikam.com')).toBe('ann@eu.contoso.com');
    expect(changeDomain('not-an-address', 'contoso.com', 'fabrikam.com')).toBe('not-an-address');
  });
});
