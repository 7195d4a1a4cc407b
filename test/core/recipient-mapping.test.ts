import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { SourceMessage } from '../../api/core/connector.js';
import { mapAddress, mapMessageHeaders, mapSourceMessage } from '../../api/core/recipient-mapping.js';
import { parseSupportOptions } from '../../api/core/support-options.js';

const rules = parseSupportOptions([
  'RecipientMapping="@fabrikam.com->@contoso.com"',
  'RecipientMapping="ceo@fabrikam.com->chief@contoso.com"',
]).options.recipientMappings;

const MESSAGE = [
  'Return-Path: <bounce@lists.example>',
  'From: "Ann Example" <Ann@Fabrikam.com>',
  'To: bob@fabrikam.com, "CEO" <ceo@fabrikam.com>,',
  '\tcarol@other.example',
  'Cc: dave@fabrikam.com.evil.example',
  'Subject: Mail about ann@fabrikam.com (the subject is not an address header)',
  'Message-ID: <1234@fabrikam.com>',
  'Content-Type: text/plain; charset=iso-8859-1',
  '',
  'Write to ann@fabrikam.com or caf\xe9@fabrikam.com.',
  '',
].join('\r\n');

describe('RecipientMapping on messages', () => {
  it('maps an address rule before a domain rule, and leaves other domains alone', () => {
    expect(mapAddress('CEO@fabrikam.com', rules)).toBe('chief@contoso.com');
    expect(mapAddress('Ann@Fabrikam.com', rules)).toBe('Ann@contoso.com');
    expect(mapAddress('x@sub.fabrikam.com', rules)).toBe('x@sub.fabrikam.com');
    expect(mapAddress('not-an-address', rules)).toBe('not-an-address');
  });

  it('rewrites address headers only, keeps folding, body and non-ASCII bytes', () => {
    const original = Buffer.from(MESSAGE, 'latin1');
    const mapped = mapMessageHeaders(original, rules)!.toString('latin1');
    expect(mapped).toContain('From: "Ann Example" <Ann@contoso.com>\r\n');
    expect(mapped).toContain('To: bob@contoso.com, "CEO" <chief@contoso.com>,\r\n\tcarol@other.example\r\n');
    // A longer domain that merely starts with the mapped one is a different domain.
    expect(mapped).toContain('Cc: dave@fabrikam.com.evil.example\r\n');
    expect(mapped).toContain('Subject: Mail about ann@fabrikam.com');
    expect(mapped).toContain('Message-ID: <1234@fabrikam.com>');
    expect(mapped).toContain('Return-Path: <bounce@lists.example>');
    expect(mapped.endsWith('\r\n\r\nWrite to ann@fabrikam.com or caf\xe9@fabrikam.com.\r\n')).toBe(true);
  });

  it('returns undefined when nothing changes, and for a message without a header block', () => {
    expect(mapMessageHeaders(Buffer.from('From: a@other.example\r\n\r\nbody'), rules)).toBeUndefined();
    expect(mapMessageHeaders(Buffer.from('no header block at all'), rules)).toBeUndefined();
    expect(mapMessageHeaders(Buffer.from(MESSAGE, 'latin1'), [])).toBeUndefined();
  });

  it('maps a streamed message and announces its new exact size', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'x');
    const source = Buffer.concat([Buffer.from('From: ann@fabrikam.com\r\nTo: ceo@fabrikam.com\r\n\r\n'), body]);
    // Small chunks, so the header block arrives split across reads.
    const chunks = Array.from({ length: Math.ceil(source.length / 7) }, (_, i) => source.subarray(i * 7, i * 7 + 7));
    const message: SourceMessage = {
      ref: { key: '1:1', uid: 1, size: source.length, internalDate: 0, flags: [], itemType: 'mail' },
      content: async () => Readable.from(chunks.slice(0, 20).concat([source.subarray(140)])),
    };
    const mapped = await mapSourceMessage(message, rules);
    expect(typeof mapped.content).toBe('function');
    const out: Buffer[] = [];
    for await (const chunk of await (mapped.content as () => Promise<Readable>)()) out.push(chunk as Buffer);
    const bytes = Buffer.concat(out);
    expect(bytes.subarray(0, 51).toString()).toBe('From: ann@contoso.com\r\nTo: chief@contoso.com\r\n\r\nxxx');
    expect(bytes.length).toBe(mapped.ref.size);
    expect(bytes.subarray(bytes.length - body.length).equals(body)).toBe(true);
  });

  it('leaves Exchange export streams alone (the connector maps typed fields itself)', async () => {
    const message: SourceMessage = {
      ref: { key: 'k', uid: 1, size: 4, internalDate: 0, flags: [], itemType: 'calendar' },
      content: Buffer.from('blob'),
      format: 'ews-export',
    };
    expect(await mapSourceMessage(message, rules)).toBe(message);
  });
});
