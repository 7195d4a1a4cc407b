/**
 * A large item is written alone with a streamed body, and retried (re-read) while Exchange answers
 * its response message with ErrorServerBusy. That wait is the job's like any other: the
 * connector's clock drives it, a cancelled job ends it at once, and a back-off past the inline
 * ceiling gives the job back to the queue instead of being slept.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MessageRef, SourceMessage } from '../../../api/core/connector.js';
import type { Endpoint } from '../../../api/core/model.js';
import { MAX_INLINE_WAIT_MS } from '../../../api/core/retry/index.js';
import { EwsConnector } from '../../../api/connectors/ews/index.js';
import type { EwsSession } from '../../../api/connectors/ews/ews-session.js';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { TestClock } from '../../support/test-clock.js';
import { waitUntil } from '../../support/wait-until.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };
/** Items from this size on are streamed; the test item is above it. */
const LARGE_ITEM_BYTES = 64 * 1024;
const BUSY_BACKOFF_MS = 20_000;
/** Far below BUSY_BACKOFF_MS: a write that waited out the back-off on the wall clock fails the test. */
const PROMPT_MS = 5_000;

function largeMessage(key: string): SourceMessage {
  const bytes = Buffer.concat([
    Buffer.from(
      `From: Ann <ann@fabrikam.test>\r\nTo: alice@contoso.test\r\nSubject: ${key}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n`,
    ),
    Buffer.alloc(LARGE_ITEM_BYTES * 2, 'streamed line\r\n'),
  ]);
  const ref: MessageRef = { key, uid: 1, size: bytes.length, internalDate: Date.UTC(2024, 0, 1), flags: [], itemType: 'mail' };
  return { ref, format: 'rfc822', content: async () => Readable.from([bytes]) };
}

async function* one(message: SourceMessage): AsyncGenerator<SourceMessage> {
  yield message;
}

describe('EWS streamed write under ErrorServerBusy', () => {
  let server: EwsTestServer;
  const sessions: EwsSession[] = [];
  const endpoint = (): Endpoint => ({
    tenantId: 'local',
    id: 'ews',
    version: 1,
    name: 'EWS test',
    kind: 'exchange',
    host: server.url,
    adminMode: 'delegation',
    adminLogin: ADMIN.smtp,
    createdAt: new Date(0).toISOString(),
  });
  const open = async (clock: TestClock, signal?: AbortSignal): Promise<EwsSession> => {
    const connector = new EwsConnector({ clock, limits: { largeItemBytes: LARGE_ITEM_BYTES } });
    const session = await connector.open({ endpoint: endpoint(), adminPassword: ADMIN.password, mailbox: ALICE.smtp }, signal);
    sessions.push(session);
    return session;
  };
  const appendOne = async (session: EwsSession, folder: string, message: SourceMessage) => {
    const results = [];
    for await (const result of session.appendMessages(folder, one(message))) results.push(result);
    return results;
  };

  beforeAll(async () => {
    server = await startEwsServer({ users: [ALICE], admin: ADMIN });
  });
  beforeEach(() => server.throttle.reset(true));
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await server?.close();
  });

  it("waits out the back-off on the connector's clock, then writes the item once", async () => {
    const clock = new TestClock();
    const session = await open(clock);
    const folder = await session.ensureFolder(['Busy clock']);
    server.throttle.serverBusyEvery(1, BUSY_BACKOFF_MS, 'message');
    try {
      const writing = appendOne(session, folder.path, largeMessage('clock-1'));
      await waitUntil('the streamed write to sleep on the test clock', () => clock.pendingSleeps > 0, { timeoutMs: PROMPT_MS });
      server.throttle.reset();
      clock.advance(BUSY_BACKOFF_MS);
      const [result] = await writing;
      expect(result!.error).toBeUndefined();
      expect(await session.listRange(folder.path, 0)).toHaveLength(1);
    } finally {
      server.throttle.reset();
    }
  });

  it(
    'ends at once with "cancelled" when the job is aborted during the wait',
    async () => {
      const clock = new TestClock();
      const abort = new AbortController();
      const session = await open(clock, abort.signal);
      const folder = await session.ensureFolder(['Busy abort']);
      server.throttle.serverBusyEvery(1, BUSY_BACKOFF_MS, 'message');
      try {
        const writing = appendOne(session, folder.path, largeMessage('abort-1'));
        writing.catch(() => undefined);
        await waitUntil('the server to answer the write with ErrorServerBusy', () => server.throttle.counters.serverBusy > 0, {
          timeoutMs: PROMPT_MS,
        });
        abort.abort();
        const started = performance.now();
        await expect(writing).rejects.toThrow(/cancelled/);
        expect(performance.now() - started).toBeLessThan(PROMPT_MS);
        expect(server.throttle.counters.serverBusy).toBe(1);
      } finally {
        server.throttle.reset();
      }
    },
    PROMPT_MS * 2,
  );

  it(
    'gives a back-off past the inline ceiling back as a ThrottledError instead of sleeping it',
    async () => {
      const clock = new TestClock();
      const session = await open(clock);
      const folder = await session.ensureFolder(['Busy long']);
      const longBackoffMs = MAX_INLINE_WAIT_MS * 4;
      server.throttle.serverBusyEvery(1, longBackoffMs, 'message');
      try {
        await expect(appendOne(session, folder.path, largeMessage('long-1'))).rejects.toMatchObject({
          code: 'throttled',
          retryAfterMs: longBackoffMs,
        });
        expect(clock.pendingSleeps).toBe(0);
      } finally {
        server.throttle.reset();
      }
    },
    PROMPT_MS * 2,
  );
});
