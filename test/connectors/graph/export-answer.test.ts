/**
 * The exportItems answer read from its bytes (api/connectors/graph/export-answer.ts) gives what
 * JSON.parse gives, for any answer of that shape: other properties of any kind skipped, strings
 * with quotes, backslashes and brackets in them, escaped base64, whitespace between tokens; and
 * it refuses what is not such an answer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanExportAnswer } from '../../../api/connectors/graph/export-answer.js';
import { streamText } from '../../../api/connectors/graph/export-items.js';

const base64 = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'));
const item = fc.record(
  {
    itemId: fc.string(),
    changeKey: fc.string(),
    data: fc.oneof(base64, fc.constant(null)),
    error: fc.record({ code: fc.string(), message: fc.string() }),
    '@odata.type': fc.constant('#microsoft.graph.exportItemResponse'),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const answer = fc.record(
  { '@odata.context': fc.string(), value: fc.array(item, { maxLength: 5 }), more: fc.jsonValue() },
  { requiredKeys: ['value'] },
);

/** What the scanner should give for a value JSON.parse read: data as base64 bytes, nothing else of the item. */
function expected(parsed: { value: Record<string, unknown>[] }) {
  return parsed.value.map((v) => ({
    ...(v['itemId'] !== undefined ? { itemId: v['itemId'] } : {}),
    ...(v['changeKey'] !== undefined ? { changeKey: v['changeKey'] } : {}),
    ...(typeof v['data'] === 'string' ? { data: Buffer.from(v['data'], 'latin1') } : {}),
    ...(v['error'] !== undefined ? { error: v['error'] } : {}),
  }));
}

describe('scanExportAnswer', () => {
  it('gives what JSON.parse gives for any exportItems answer, however it is spaced', () => {
    fc.assert(
      fc.property(answer, fc.constantFrom(0, 2), (a, indent) => {
        const text = JSON.stringify(a, null, indent);
        const got = scanExportAnswer(Buffer.from(text, 'utf8'));
        expect(got).toEqual(expected(JSON.parse(text) as { value: Record<string, unknown>[] }));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps each data as a view of the answer, and unescapes an escaped one', () => {
    const bytes = Buffer.from('{"value":[{"itemId":"a\\"1","data":"QUJD"},{"itemId":"b","data":"QU\\/D\\r\\nRA=="}]}');
    const [plain, escaped] = scanExportAnswer(bytes);
    expect(plain).toEqual({ itemId: 'a"1', data: Buffer.from('QUJD') });
    expect(plain!.data!.buffer).toBe(bytes.buffer);
    expect(escaped!.data!.toString('latin1')).toBe('QU/DRA==');
  });

  it('refuses what is not an exportItems answer', () => {
    for (const text of [
      '',
      '[]',
      '{"value":[{"data":"QUJD"}',
      '{"value":[{"data":"QUJD}]}',
      '{"value":[1,]}',
      '{"value":[]} x',
      '<html>',
    ]) {
      expect(() => scanExportAnswer(Buffer.from(text)), text).toThrow(/expected/);
    }
  });
});

describe('an exported item as graph-export content (streamText)', () => {
  it('is the base64 text as exportItems gave it, copied out of the answer', () => {
    const answer = Buffer.from(`{"value":[{"itemId":"a","data":"${Buffer.from('stream bytes').toString('base64')}"}]}`);
    const [value] = scanExportAnswer(answer);
    const content = streamText(value!.data!);
    expect(content.toString('latin1')).toBe(Buffer.from('stream bytes').toString('base64'));
    answer.fill(0x20); // the answer's bytes are reused or dropped: the content is its own copy
    expect(content.toString('latin1')).toBe(Buffer.from('stream bytes').toString('base64'));
  });

  it('holds only base64 whatever a server put between the quotes, so an import body cannot be broken out of', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const content = streamText(Buffer.from(text, 'utf8')).toString('latin1');
        expect(content).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
        expect(content.length % 4).toBe(0);
      }),
      { numRuns: 1000 },
    );
    // Every byte in the alphabet, but not base64: padding mid-text, or a length that is not a multiple of 4.
    for (const odd of ['=/', 'QU=JD', 'QUJ', 'QUJD=']) {
      const content = streamText(Buffer.from(odd, 'latin1')).toString('latin1');
      expect(content, odd).toBe(Buffer.from(Buffer.from(odd, 'latin1').toString('latin1'), 'base64').toString('base64'));
    }
    const sneaky = streamText(Buffer.from('QUJD", "Mode": "update', 'latin1')).toString('latin1');
    expect(sneaky).not.toContain('"');
  });
});
