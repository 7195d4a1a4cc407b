import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { ImapConnector } from '../../../api/connectors/imap/imap-connector.js';
import type { AppendResult, SourceMessage } from '../../../api/core/connector.js';
import { ConnectionError, ItemTooLargeError } from '../../../api/core/errors.js';
import { startDovecot, sampleMessage, type DovecotServer } from '../../support/dovecot.js';
import { asSource, collect, userAccess } from '../../support/imap-fixtures.js';
import { startLatencyProxy } from '../../support/imap-latency-proxy.js';

const MAX_MAIL_BYTES = 64 * 1024;

describe('pipelined APPEND with LITERAL+', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await startDovecot({ maxMailSizeBytes: MAX_MAIL_BYTES });
  });
  afterAll(() => server?.stop());

  it('appends 2,000 small messages, yielding results in input order with APPENDUID', async () => {
    const raws = Array.from({ length: 2000 }, (_, i) => sampleMessage(i, 5 * 1024));
    const session = await new ImapConnector().open(userAccess(server, 'alice'));
    const { path, state } = await session.ensureFolder(['Bulk']);
    const started = performance.now();
    const results = await collect(session.appendMessages(path, asSource(raws)));
    const perSecond = raws.length / ((performance.now() - started) / 1000);
    console.log(`APPEND 2,000 x 5 KB on loopback: pipelined ${perSecond.toFixed(0)} msg/s`);
    expect(results.map((r) => r.ref.uid)).toEqual(raws.map((_, i) => i + 1));
    expect(results.map((r) => r.destId)).toEqual(raws.map((_, i) => `${state.uidValidity}:${i + 1}`));
    expect(results.filter((r) => r.error)).toEqual([]);
    await session.close();
  });

  it("beats imapflow's one-at-a-time APPEND several times over on a link with 5 ms latency each way", async () => {
    const proxy = await startLatencyProxy(server, 5);
    try {
      const raws = Array.from({ length: 300 }, (_, i) => sampleMessage(i, 5 * 1024));
      const session = await new ImapConnector().open(userAccess(server, 'alice', { port: proxy.port }));
      const { path } = await session.ensureFolder(['Far']);
      let t0 = performance.now();
      const results = await collect(session.appendMessages(path, asSource(raws)));
      const pipelined = raws.length / ((performance.now() - t0) / 1000);
      expect(results.filter((r) => r.destId)).toHaveLength(raws.length);
      await session.close();

      const client = new ImapFlow({
        host: server.host,
        port: proxy.port,
        secure: false,
        logger: false,
        auth: { user: 'bob', pass: server.users.bob! },
      });
      await client.connect();
      await client.mailboxCreate('Far');
      t0 = performance.now();
      for (const raw of raws) await client.append('Far', raw, [], new Date());
      const sequential = raws.length / ((performance.now() - t0) / 1000);
      await client.logout();
      console.log(`APPEND 300 x 5 KB over 10 ms RTT: pipelined ${pipelined.toFixed(0)} msg/s, imapflow ${sequential.toFixed(0)} msg/s`);
      expect(pipelined).toBeGreaterThan(3 * sequential);
    } finally {
      await proxy.close();
    }
  });

  it('returns an oversize message as ItemTooLargeError and still stores the ones after it', async () => {
    const raws = [sampleMessage(1), sampleMessage(2, MAX_MAIL_BYTES * 2), sampleMessage(3)];
    const session = await new ImapConnector().open(userAccess(server, 'alice'));
    const { path } = await session.ensureFolder(['Limits']);
    const results = await collect(session.appendMessages(path, asSource(raws)));
    expect(results[0]!.destId).toBeDefined();
    expect(results[1]!.error).toBeInstanceOf(ItemTooLargeError);
    expect(results[1]!.error!.message).toContain('maximum size');
    expect(results[2]!.destId).toBeDefined();
    await session.close();
  });

  it('streams a message from a Readable and refuses one whose length differs from its size', async () => {
    const session = await new ImapConnector().open(userAccess(server, 'alice'));
    const { path } = await session.ensureFolder(['Streams']);
    const raw = sampleMessage(7, 10_000);
    const good: SourceMessage = {
      ref: { key: '1:7', uid: 7, size: raw.length, internalDate: Date.now(), flags: [], itemType: 'mail' },
      content: async () => Readable.from([raw.subarray(0, 5000), raw.subarray(5000)]),
    };
    const short: SourceMessage = { ref: { ...good.ref, uid: 8, size: raw.length + 10 }, content: async () => Readable.from([raw]) };
    async function* feed(): AsyncGenerator<SourceMessage> {
      yield good;
      yield short;
    }
    const seen: AppendResult[] = [];
    const err = await (async () => {
      for await (const r of session.appendMessages(path, feed())) seen.push(r);
    })().catch((e: unknown) => e);
    expect(seen[0]?.destId).toBeDefined();
    expect((err as Error).message).toMatch(/gave only \d+ bytes, but its size is \d+ bytes/);
    // The next pipeline reconnects on its own.
    const again = await collect(session.appendMessages(path, asSource([sampleMessage(9)])));
    expect(again[0]!.destId).toBeDefined();
    await session.close();
  });
});

describe('APPEND without LITERAL+ waits for each continuation', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await startDovecot({
      maxMailSizeBytes: MAX_MAIL_BYTES,
      // The same server, minus LITERAL+ in what it advertises.
      extraConfig:
        'imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE UIDPLUS SPECIAL-USE LIST-EXTENDED CHILDREN',
    });
  });
  afterAll(() => server?.stop());

  it('still appends in order, and skips the body of a message refused before its literal', async () => {
    const session = await new ImapConnector().open(userAccess(server, 'alice'));
    const { path, state } = await session.ensureFolder(['Sync']);
    const raws = [sampleMessage(1), sampleMessage(2, MAX_MAIL_BYTES * 2), ...Array.from({ length: 50 }, (_, i) => sampleMessage(i + 3))];
    const results = await collect(session.appendMessages(path, asSource(raws)));
    expect(results[1]!.error).toBeInstanceOf(ItemTooLargeError);
    const ok = results.filter((r) => !r.error);
    expect(ok).toHaveLength(51);
    expect(ok.map((r) => r.destId)).toEqual(ok.map((_, i) => `${state.uidValidity}:${i + 1}`));
    await session.close();
  });
});

describe('a connection dropped in the middle of a pipeline', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await startDovecot();
  });
  afterAll(() => server?.stop());

  it('throws ConnectionError after yielding the results the server confirmed', async () => {
    const session = await new ImapConnector().open(userAccess(server, 'alice'));
    const { path } = await session.ensureFolder(['Dropped']);
    async function* slowSource(): AsyncGenerator<SourceMessage> {
      for await (const m of asSource(Array.from({ length: 400 }, (_, i) => sampleMessage(i, 2048)))) {
        if (m.ref.uid === 100) await server.restart();
        yield m;
      }
    }
    const seen: AppendResult[] = [];
    const err = await (async () => {
      for await (const r of session.appendMessages(path, slowSource())) seen.push(r);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).retryable).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(100);
    expect(seen.every((r, i) => r.ref.uid === i + 1 && r.destId)).toBe(true);
    await session.close();
  });
});
