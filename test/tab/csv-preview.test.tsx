// Pure logic; .tsx so tab/tsconfig.json type-checks it with the tab's sources.
import { describe, expect, it } from 'vitest';
import { previewCsv } from '../../tab/src/project/csv-preview';
import { tokenFromHash } from '../../tab/src/end-user/token';

describe('the Bulk Add preview', () => {
  it('skips the header, numbers lines as a spreadsheet does and flags a bad address', () => {
    const p = previewCsv('Source Email,Destination Email,Source Password\na@s.test,a@d.test,"se,cret"\n\nnot-an-address,b@d.test\n');
    expect(p.hasHeader).toBe(true);
    expect(p.total).toBe(2);
    expect(p.withProblems).toBe(1);
    expect(p.rows[0]).toEqual({ line: 2, sourceAddress: 'a@s.test', destinationAddress: 'a@d.test', problem: undefined });
    expect(p.rows[1]).toMatchObject({
      line: 4,
      sourceAddress: 'not-an-address',
      problem: 'Source Email: Not a valid email address: the address has no @.',
    });
    expect(JSON.stringify(p)).not.toContain('se,cret');
  });

  // Issue 14 #8: the preview had checks of its own and called OK rows the server refuses.
  it("flags every row the server refuses, in the server's words", () => {
    const text =
      'Source Email,Destination Email\na@s.test,a@d.test,Shifted-Secret\nb@s.test,b@d.test\nB@s.test,b2@d.test\nc@s.test,c@d.test,,,,,,\n';
    const p = previewCsv(text);
    expect(p.rows.map((r) => [r.line, r.problem])).toEqual([
      [
        2,
        'Column 3: The row has 3 columns but the file has 2; put values that contain the delimiter in double quotes, so this row was not added.',
      ],
      [3, undefined],
      [4, 'Source Email: B@s.test is already on line 3; each mailbox can be added once, so this row was not added.'],
      [5, undefined],
    ]);
    expect(p.withProblems).toBe(2);
    expect(JSON.stringify(p)).not.toContain('Shifted-Secret');
  });

  it('reports a header the server cannot read as a problem of the file', () => {
    const p = previewCsv('Source Email,Destinaton Email\na@s.test,a@d.test\n');
    expect(p.fileProblems).toEqual([
      expect.stringMatching(/^Destinaton Email: "Destinaton Email" is not a column Mailferry knows.*Did you mean Destination Email\?/),
      expect.stringMatching(/^Destination Email: The header has no Destination Email column/),
    ]);
    expect(p.rows[0]!.problem).toBe('This row is not added (see the problem above it).');
  });

  it('reads ; separated files without a header', () => {
    expect(previewCsv('a@s.test;a@d.test').rows).toEqual([
      { line: 1, sourceAddress: 'a@s.test', destinationAddress: 'a@d.test', problem: undefined },
    ]);
  });
});

describe('the end-user link', () => {
  it('takes the token from the fragment only', () => {
    expect(tokenFromHash('#token=abc.def-1')).toBe('abc.def-1');
    expect(tokenFromHash('')).toBeUndefined();
    expect(tokenFromHash('#other=1')).toBeUndefined();
  });
});
