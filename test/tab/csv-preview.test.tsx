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
    expect(p.rows[1]).toMatchObject({ line: 4, problem: expect.stringContaining('not-an-address') });
    expect(JSON.stringify(p)).not.toContain('se,cret');
  });

  it('reads ; separated files without a header', () => {
    expect(previewCsv('a@s.test;a@d.test').rows).toEqual([{ line: 1, sourceAddress: 'a@s.test', destinationAddress: 'a@d.test', problem: undefined }]);
  });
});

describe('the end-user link', () => {
  it('takes the token from the fragment only', () => {
    expect(tokenFromHash('#token=abc.def-1')).toBe('abc.def-1');
    expect(tokenFromHash('')).toBeUndefined();
    expect(tokenFromHash('#other=1')).toBeUndefined();
  });
});
