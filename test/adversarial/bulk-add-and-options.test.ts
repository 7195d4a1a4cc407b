/**
 * Hostile files and option lines through the embedded host's HTTP API: Bulk Add CSVs with formula
 * cells, byte-order marks, mixed separators and line ends, broken quoting, null bytes and sizes
 * past the limit; every support option key with malformed values and catastrophic regexes.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORT_OPTION_KEYS } from '../../api/core/support-options.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { adversarialRun, reportCounts } from './adversarial-run.js';
import { startEmbeddedHost } from './hosts.js';
import { clip, problemViolation, type RawResponse } from './http-probe.js';
import { hostileString } from './openapi-cases.js';
import { plantWorld, type PlantedWorld } from './planted-world.js';
import { SecretScanner } from './secret-scan.js';

const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r'];
const formulaCell = fc.constantFrom(
  "=cmd|' /C calc'!A0",
  '+1+1',
  '-2+3',
  "@SUM(1+1)*cmd|' /C calc'!A0",
  '\t=1+1',
  '\r=1+1',
  '=HYPERLINK("http://evil.example","x")',
);
const BOMS = ['', '\uFEFF', '\uFFFE', '\u00EF\u00BB\u00BF'];

/** One cell: a fresh valid address, a formula, or hostile text; quoted (sometimes badly) or not. */
function cell(index: number, kind: 'address' | 'login' | 'password', password: string): fc.Arbitrary<string> {
  const valid =
    kind === 'address'
      ? fc.constantFrom(`user${index}@contoso.test`, `User.${index}@Fabrikam.TEST`)
      : fc.constant(kind === 'password' ? password : `login${index}`);
  const text = fc.oneof(
    { weight: 3, arbitrary: valid },
    formulaCell,
    hostileString.map((s) => s.slice(0, 200)),
    fc.constantFrom('', '"', '""', 'a"b', '\u0000', 'x\ny'),
  );
  return fc
    .tuple(text, fc.constantFrom('bare', 'quoted', 'half-quoted'))
    .map(([t, q]) => (q === 'quoted' ? `"${t.replace(/"/g, '""')}"` : q === 'half-quoted' ? `"${t}` : t));
}

const csvFile = (password: string) =>
  fc
    .record({
      bom: fc.constantFrom(...BOMS),
      separator: fc.constantFrom(',', ';', '\t', '|'),
      otherSeparator: fc.constantFrom(',', ';', '\t'),
      lineEnd: fc.constantFrom('\n', '\r\n', '\r'),
      header: fc.boolean(),
      rows: fc.array(fc.tuple(fc.nat(1_000_000), fc.boolean()), { minLength: 1, maxLength: 12 }),
    })
    .chain((f) =>
      fc
        .tuple(
          ...f.rows.map(([i, mixed]) =>
            fc
              .tuple(
                cell(i, 'address', password),
                cell(i + 1, 'address', password),
                cell(i, 'login', password),
                cell(i, 'password', password),
              )
              .map((cells) => cells.join(mixed ? f.otherSeparator : f.separator)),
          ),
        )
        .map((lines) => {
          const header = f.header ? [['Source Email', 'Destination Email', 'Source Login Name', 'Source Password'].join(f.separator)] : [];
          return f.bom + [...header, ...lines].join(f.lineEnd);
        }),
    );

describe('Bulk Add and support options under hostile input', { timeout: adversarialRun.testTimeoutMs }, () => {
  const scanner = new SecretScanner();
  let host: Awaited<ReturnType<typeof startEmbeddedHost>>;
  let world: PlantedWorld;
  const itemCount = async () =>
    ((await host.call('GET', `/projects/${world.ids.projectId}/items?limit=1000`)).json as { items: unknown[] }).items.length;
  const bulk = (csv: string | Buffer, type = 'text/csv; charset=utf-8') =>
    host.send({ method: 'POST', path: `/api/v1/projects/${world.ids.projectId}/items/bulk`, headers: { 'content-type': type }, body: csv });

  beforeAll(async () => {
    host = await startEmbeddedHost(scanner);
    world = await plantWorld(host, scanner, LOCAL_TENANT);
  });
  afterAll(async () => {
    await host?.close();
  });

  /** A Bulk Add answer is 201, or 207 with a row report whose every problem names a line and a column, or a clear 4xx. */
  function bulkViolation(res: RawResponse): string | undefined {
    if (res.status !== 201 && res.status !== 207) return problemViolation(res);
    const report = JSON.parse(res.text) as { added: number; problems: { line: number; column: string; message: string }[] };
    const vague = report.problems.find(
      (p) => !Number.isInteger(p.line) || p.line < 1 || typeof p.column !== 'string' || p.message.length < 10,
    );
    return vague ? `a row problem does not say where or what: ${JSON.stringify(vague)}` : undefined;
  }

  it('takes generated hostile CSV files row by row: good rows added, every bad one reported by line and column', async () => {
    let added = 0;
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .constant(null)
          .map(() => scanner.plant('csv-password'))
          .chain(csvFile),
        async (csv) => {
          const before = await itemCount();
          const res = await bulk(csv);
          const violation = bulkViolation(res);
          expect(violation, `CSV ${JSON.stringify(clip(csv, 400))}`).toBeUndefined();
          const gained = (await itemCount()) - before;
          if (res.status < 300) {
            const report = JSON.parse(res.text);
            expect(gained).toBe(report.added);
            added += report.added;
            reported += report.problems.length;
          } else {
            expect(gained).toBe(0);
          }
        },
      ),
      { seed: adversarialRun.seed, numRuns: adversarialRun.smallCases },
    );
    reportCounts('Bulk Add, hostile CSV files', { files: adversarialRun.smallCases, rowsAdded: added, rowProblems: reported });
  });

  it('refuses a CSV over 10 MiB with 413 and adds nothing', async () => {
    const before = await itemCount();
    const row = 'big@contoso.test,big@fabrikam.test\n';
    const res = await bulk(row.repeat(Math.ceil((10 * 1024 * 1024 + 1) / row.length)));
    expect(res.status).toBe(413);
    expect(problemViolation(res)).toBeUndefined();
    expect(await itemCount()).toBe(before);
  });

  it('answers a file of only separators, quotes or a BOM with a clear problem or an empty report', async () => {
    for (const csv of ['\uFEFF', ',,,,\n,,,,', '"""""""', ';\t;\t;', '\u0000\u0000', 'Source Email\r\n', '"a@b.test\n'.repeat(5_000)]) {
      const res = await bulk(csv);
      expect(bulkViolation(res), JSON.stringify(clip(csv, 60))).toBeUndefined();
    }
  });

  it('the statistics CSV export defuses addresses that a spreadsheet would run as formulas', async () => {
    for (const local of ['=1+1', '+1', '-1', '=cmd|calc']) {
      const res = await host.call('POST', `/projects/${world.ids.projectId}/items`, {
        sourceAddress: `${local}@contoso.test`,
        destinationAddress: `${local}@fabrikam.test`,
      });
      expect(res.status, JSON.stringify(res.json)).toBeLessThan(500);
    }
    const res = await host.send({ method: 'GET', path: `/api/v1/projects/${world.ids.projectId}/statistics?format=csv` });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/1@contoso\.test/);
    const cells = res.text
      .split(/\r\n/)
      .flatMap((line) => line.split(','))
      .map((c) => c.replace(/^"/, ''));
    expect(cells.filter((c) => FORMULA_STARTS.some((start) => c.startsWith(start)))).toEqual([]);
  });

  const malformedValue = fc.oneof(
    hostileString,
    fc.constantFrom(
      '',
      ' ',
      '-1',
      '0',
      '1.5',
      '1e999',
      'NaN',
      '10 MB',
      '"unbalanced',
      '->',
      '@a.test->',
      '->@b.test',
      '^(a+)+$',
      '(a|a)*$',
      '(?<=x)y',
      '\\1',
      '[',
      '(?!',
      '(.*a){25}',
      '*',
      '0x10',
      '١٢٣',
    ),
  );

  it('answers every support option key with malformed values with a problem naming the key, or keeps it as given', async () => {
    let refused = 0;
    let kept = 0;
    const line = fc
      .tuple(fc.constantFrom(...SUPPORT_OPTION_KEYS), malformedValue, fc.constantFrom('=', ' = ', '=="', ':'))
      .map(([key, value, eq]) => `${key}${eq}${value}`);
    await fc.assert(
      fc.asyncProperty(line, fc.constantFrom('project', 'item'), async (option, level) => {
        const path = level === 'project' ? `/api/v1/projects/${world.ids.projectId}` : `/api/v1/items/${world.ids.itemId}`;
        const started = Date.now();
        const res = await host.send({
          method: 'PATCH',
          path,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ options: [option] }),
        });
        expect(Date.now() - started, `saving ${JSON.stringify(clip(option, 80))} took too long`).toBeLessThan(2_000);
        if (res.status === 200) {
          kept++;
          return;
        }
        refused++;
        expect(problemViolation(res, { bodyDefect: true }), `${JSON.stringify(clip(option, 80))}`).toBeUndefined();
        // The line's key, or (for a line over the length limit) the line itself by its index.
        const key = option.split(/[=:]/)[0]!.trim();
        const { detail, field } = JSON.parse(res.text);
        expect(detail.includes(key) || /^options/.test(field), `${JSON.stringify(clip(option, 80))}: ${clip(detail)}`).toBe(true);
      }),
      { seed: adversarialRun.seed, numRuns: adversarialRun.smallCases * 3 },
    );
    reportCounts('support options, malformed values', {
      lines: adversarialRun.smallCases * 3,
      refused,
      kept,
      keys: SUPPORT_OPTION_KEYS.length,
    });
  });

  it('no planted secret appears in any answer or log line the suite captured', () => {
    reportCounts('Bulk Add and options, secret scan', scanner.counts);
    expect(scanner.leaks()).toEqual([]);
  });
});
