/** The EWS transport's response reader: item contents decoded as they stream, wherever chunks split. */
import { describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { extractBase64Element } from '../../../api/connectors/ews/stream-base64.js';
import { scanPayloads } from '../../../api/connectors/ews/payload-scanner.js';

const blob = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + n) % 256));

function response(items: Buffer[], wrap = (b64: string) => b64): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' +
    '<m:ExportItemsResponse xmlns:m="urn:m"><m:ResponseMessages>' +
    items
      .map(
        (b, i) =>
          `<m:ExportItemsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:ItemId Id="id${i}" ChangeKey="ck"/><m:Data>${wrap(b.toString('base64'))}</m:Data></m:ExportItemsResponseMessage>`,
      )
      .join('') +
    '<m:GetItemResponseMessage><m:Items><t:Message xmlns:t="urn:t"><t:MimeContent CharacterSet="UTF-8"/><t:Subject>Zürich — 日本</t:Subject></t:Message></m:Items></m:GetItemResponseMessage>' +
    '</m:ResponseMessages></m:ExportItemsResponse></s:Body></s:Envelope>'
  );
}

async function* chunks(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('scanPayloads', () => {
  const items = [blob(1), blob(2), blob(3), blob(5000), blob(70_001)];

  it.each([1, 3, 7, 64, 4096, 1 << 20])(
    'decodes every Data element and keeps the rest of the text intact with %i-byte chunks',
    async (size) => {
      const { body, payloads } = await scanPayloads(chunks(response(items), size));
      expect(payloads.map((p) => p.toString('hex'))).toEqual(items.map((b) => b.toString('hex')));
      expect(body).toContain('<m:Data>mailferry-payload-0</m:Data>');
      expect(body).toContain('<m:Data>mailferry-payload-4</m:Data>');
      // Non-ASCII text outside the payloads survives the byte-wise scan; a self-closing element is left alone.
      expect(body).toContain('<t:Subject>Zürich — 日本</t:Subject>');
      expect(body).toContain('<t:MimeContent CharacterSet="UTF-8"/>');
      expect(body.length).toBeLessThan(2_000);
    },
  );

  it('drops line breaks and character references inside base64, even when a chunk ends inside one', async () => {
    const folded = (b64: string) => b64.replace(/(.{76})/g, '$1&#xD;\n');
    for (const size of [5, 11, 77]) {
      const { payloads } = await scanPayloads(chunks(response([blob(9000)], folded), size));
      expect(payloads[0]!.equals(blob(9000))).toBe(true);
    }
  });

  it('says so when the response ends inside an item', async () => {
    const whole = response([blob(4000)]);
    await expect(scanPayloads(chunks(whole.slice(0, whole.indexOf('</m:Data>') - 10), 100))).rejects.toThrow(
      /ended in the middle of an item/,
    );
  });

  it('the large-item path decodes the same folded base64 into its temp file (one decoder for both)', async () => {
    const folded = (b64: string) => b64.replace(/(.{76})/g, '$1&#xD;\n');
    for (const size of [5, 11, 77]) {
      const extracted = await extractBase64Element(Readable.from(chunks(response([blob(9000)], folded), size)), ['Data']);
      try {
        expect(readFileSync(extracted.file!).equals(blob(9000))).toBe(true);
        expect(extracted.bytes).toBe(9000);
      } finally {
        rmSync(extracted.file!, { force: true });
      }
    }
  });

  it('the large-item path passes a self-closing element and decodes the real one after it, wherever chunks split', async () => {
    const item = blob(5000);
    const text =
      '<s:Envelope><s:Body><m:GetItemResponse><t:MimeContent CharacterSet="UTF-8"/><t:Subject>x</t:Subject>' +
      `<t:MimeContent CharacterSet="UTF-8">${item.toString('base64')}</t:MimeContent></m:GetItemResponse></s:Body></s:Envelope>`;
    for (const size of [3, 64, 1 << 20]) {
      const extracted = await extractBase64Element(Readable.from(chunks(text, size)), ['MimeContent']);
      try {
        expect(extracted.file).toBeDefined();
        expect(readFileSync(extracted.file!).equals(item)).toBe(true);
        expect(extracted.startTag).toBe(' CharacterSet="UTF-8"');
        expect(extracted.outside).toContain('<t:MimeContent CharacterSet="UTF-8"/><t:Subject>x</t:Subject>');
      } finally {
        if (extracted.file) rmSync(extracted.file, { force: true });
      }
    }
  });
});
