/**
 * The APPEND window's byte budget bounds the buffers that sent commands keep until their answer:
 * a message streamed from the source keeps none once written, so streamed messages larger than
 * the budget go one after the other without waiting for the destination's answers (a server
 * that answers nothing until it has every command proves it: waiting would never end).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { appendPipeline } from '../../../api/connectors/imap/append-pipeline.js';
import type { ImapWire, TaggedResponse } from '../../../api/connectors/imap/imap-wire.js';
import type { MessageRef, SourceMessage } from '../../../api/core/connector.js';
import { collect } from '../../support/imap-fixtures.js';

/** Just what appendPipeline uses of a wire: it records what is written and answers every APPEND once `answerAfter` have arrived. */
function holdingWire(answerAfter: number): { wire: ImapWire; written: () => string } {
  const chunks: Buffer[] = [];
  const waiting = new Map<string, (response: TaggedResponse) => void>();
  let tags = 0;
  let answered = false;
  const appends = () =>
    (
      Buffer.concat(chunks)
        .toString('latin1')
        .match(/^A\d+ APPEND /gm) ?? []
    ).length;
  const take = (part: string | Buffer): void => {
    chunks.push(Buffer.isBuffer(part) ? part : Buffer.from(part, 'latin1'));
    if (answered || appends() < answerAfter) return;
    answered = true;
    let uid = 0;
    for (const [tag, resolve] of waiting) resolve({ tag, status: 'OK', code: 'APPENDUID', codeArgs: `7 ${++uid}`, text: 'done' });
  };
  const wire = {
    capabilities: new Set(['IMAP4REV1', 'LITERAL+', 'UIDPLUS']),
    selected: { path: 'Big', readOnly: false },
    nextTag: () => `A${++tags}`,
    expect: (tag: string) => new Promise<TaggedResponse>((resolve) => waiting.set(tag, resolve)),
    write: async (data: string | Buffer) => take(data),
    writeAll: async (parts: readonly (string | Buffer)[]) => parts.forEach(take),
    whileFeeding: <T>(work: Promise<T>) => work,
    where: () => 'test wire',
    destroy: () => undefined,
  };
  return { wire: wire as unknown as ImapWire, written: () => Buffer.concat(chunks).toString('latin1') };
}

const ref = (uid: number, size: number): MessageRef => ({
  key: `1:${uid}`,
  uid,
  size,
  internalDate: Date.UTC(2023, 5, 1, 12, 0, uid),
  flags: [],
  itemType: 'mail',
});

describe('the APPEND window with streamed messages', () => {
  it('sends streamed messages larger than the byte budget without waiting for answers, then a small one, all in order', async () => {
    const bodies = [1, 2, 3].map((n) => Buffer.from(`Subject: streamed ${n}\r\n\r\n${'x'.repeat(5000)}\r\n`, 'latin1'));
    const small = Buffer.from('Subject: small\r\n\r\nhi\r\n', 'latin1');
    async function* messages(): AsyncGenerator<SourceMessage> {
      for (const [i, body] of bodies.entries()) {
        // Two chunks each, as a source connection hands them over.
        yield { ref: ref(i + 1, body.length), content: async () => Readable.from([body.subarray(0, 100), body.subarray(100)]) };
      }
      yield { ref: ref(4, small.length), content: small };
    }
    const { wire, written } = holdingWire(4);
    const results = await collect(appendPipeline(wire, 'Big', messages(), { maxCommandsInFlight: 8, maxBytesInFlight: 1000 }));

    expect(results.map((r) => [r.ref.uid, r.destId, r.error])).toEqual([
      [1, '7:1', undefined],
      [2, '7:2', undefined],
      [3, '7:3', undefined],
      [4, '7:4', undefined],
    ]);
    const text = written();
    let at = 0;
    for (const [i, body] of [...bodies, small].entries()) {
      const literal = `{${body.length}+}\r\n${body.toString('latin1')}\r\n`;
      const found = text.indexOf(literal, at);
      expect(found, `message ${i + 1} whole and in order`).toBeGreaterThanOrEqual(at);
      at = found + literal.length;
    }
  });
});
