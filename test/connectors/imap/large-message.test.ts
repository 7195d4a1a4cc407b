import { createHash } from 'node:crypto';
import { chownSync, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import type { ImapSession } from '../../../api/connectors/imap/imap-session.js';
import type { SourceMessage } from '../../../api/core/connector.js';
import { startDovecot, sampleMessage, type DovecotServer } from '../../support/dovecot.js';
import { collect, userAccess } from '../../support/imap-fixtures.js';

const MB = 1024 * 1024;
const LARGE_BYTES = 40 * MB;

/** A forced GC, so the sampler sees live bytes rather than chunks V8 has not collected yet. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function writeLargeMaildirMessage(server: DovecotServer, user: string, bytes: number): Promise<string> {
  const maildir = join(server.dir, 'mail', user);
  const file = join(maildir, 'new', `${Date.now()}.M1P1.mailferry-test`);
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const put = async (chunk: Buffer): Promise<void> => {
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await put(sampleMessage(1, 0, 'Forty megabytes'));
  const line = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/0123456789\r\n');
  const block = Buffer.concat(Array.from({ length: 1024 }, () => line));
  for (let written = 0; written < bytes; written += block.length) await put(block);
  out.end();
  await once(out, 'close');
  const { uid, gid } = statSync(maildir);
  chownSync(file, uid, gid);
  return hash.digest('hex');
}

describe('a 40 MB message', () => {
  let server: DovecotServer;
  let source: ImapSession;
  let dest: ImapSession;
  let expectedSha: string;

  beforeAll(async () => {
    server = await startDovecot();
    const connector = new ImapConnector();
    source = await connector.open(userAccess(server, 'alice'));
    dest = await connector.open(userAccess(server, 'bob'));
    // SELECT makes Dovecot create the INBOX maildir we then write into.
    await source.folderState('INBOX');
    // Delivered straight into alice's maildir, written in pieces: the test process never holds
    // the 40 MB, so its memory baseline is clean.
    expectedSha = await writeLargeMaildirMessage(server, 'alice', LARGE_BYTES);
  });
  afterAll(async () => {
    await source?.close();
    await dest?.close();
    await server?.stop();
  });

  it('is read as a lazy stream and appended without ever being held whole in memory', async () => {
    const inbox = (await source.listFolders()).find((f) => f.path === 'INBOX')!;
    const refs = await source.listMessages(inbox);
    expect(refs[0]!.size).toBeGreaterThan(LARGE_BYTES);
    const [message] = (await collect(source.readMessages(inbox, refs))) as SourceMessage[];
    expect(typeof message!.content).toBe('function');

    gc();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakBuffers = baseline.arrayBuffers;
    let samples = 0;
    const sampler = setInterval(() => {
      samples += 1;
      gc();
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
    }, 10);
    const { path, state } = await dest.ensureFolder(['Large']);
    async function* one(): AsyncGenerator<SourceMessage> {
      yield message!;
    }
    const [result] = await collect(dest.appendMessages(path, one()));
    clearInterval(sampler);
    console.log(
      `40 MB copy: RSS +${((peakRss - baseline.rss) / MB).toFixed(1)} MB, buffers +${((peakBuffers - baseline.arrayBuffers) / MB).toFixed(1)} MB ` +
        `(${samples} samples, baseline buffers ${(baseline.arrayBuffers / MB).toFixed(1)} MB)`,
    );
    expect(result!.destId).toBe(`${state.uidValidity}:1`);
    expect(samples).toBeGreaterThan(5);
    // Live buffers stay at a few chunks; holding the message whole would be 40 MB or more.
    expect(peakBuffers - baseline.arrayBuffers).toBeLessThan(8 * MB);
    expect(peakRss - baseline.rss).toBeLessThan(20 * MB);

    // And the copy is byte-identical, read back as a stream as well.
    const copiedFolder = (await dest.listFolders()).find((f) => f.path === path)!;
    const [copied] = (await collect(dest.readMessages(copiedFolder, await dest.listMessages(copiedFolder)))) as SourceMessage[];
    const hash = createHash('sha256');
    for await (const chunk of await (copied!.content as () => Promise<NodeJS.ReadableStream>)()) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(expectedSha);
  });
});
