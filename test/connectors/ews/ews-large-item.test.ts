/**
 * A 100 MB message goes EWS → EWS through the connector without ever sitting whole in the
 * connector's memory: the read is spooled to a temp file from the streamed response, the write
 * streams base64 into the request body. The connector runs in a child process so its peak RSS
 * is measured apart from the test server, which holds the item (twice) in this process.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import { itemsIn, seedMessage } from '../../support/ews/items.js';

const MB = 1024 * 1024;
const SIZE = 100 * MB;
/** Node and the connector's modules take ~70 MB; a whole 100 MB item (plus its base64) would take 230 MB more. */
const MAX_CHILD_RSS_MB = 160;
const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const BOB = { smtp: 'bob@contoso.test', password: 'bob-pw' };
const ADMIN = { smtp: 'admin@contoso.test', password: 'admin-pw' };

describe('a 100 MB item over EWS', () => {
  let server: EwsTestServer;
  let original: Buffer;
  let child: ReturnType<typeof spawn> | undefined;

  beforeAll(async () => {
    server = await startEwsServer({ users: [ALICE, BOB], admin: ADMIN });
    const head =
      'From: Ann <ann@fabrikam.test>\r\nTo: alice@contoso.test\r\nSubject: The big one\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\n';
    const line = 'The quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ.\r\n';
    original = Buffer.concat([Buffer.from(head), Buffer.alloc(SIZE - head.length, line)]);
    seedMessage(server.store, ALICE.smtp, 'drafts', original, { received: Date.UTC(2024, 0, 1) });
  });
  afterAll(async () => {
    // A run cut short by the timeout must not leave the connector writing into a closed pipe.
    child?.kill('SIGKILL');
    await server?.close();
  });

  it('streams both ways, arrives byte for byte, and the connector stays far below the item size in memory', async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/ews/large-item-child.ts', server.url, ADMIN.smtp, ADMIN.password, ALICE.smtp, BOB.smtp],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
    expect(code).toBe(0);
    const report = JSON.parse(out.trim().split('\n').pop()!) as { results: string[]; streamed: boolean; size: number; peakRssMB: number };
    console.info(`100 MB item: connector peak RSS ${report.peakRssMB.toFixed(1)} MB`);
    expect(report.results).toEqual(['ok']);
    expect(report.streamed).toBe(true);
    expect(report.size).toBe(SIZE);
    const bob = server.store.mailbox(BOB.smtp)!;
    const large = [...bob.folders.values()].find((f) => f.displayName === 'Large')!;
    const [copy] = itemsIn(bob, large.id);
    expect(copy!.mime!.bytes.length).toBe(SIZE);
    expect(createHash('sha256').update(copy!.mime!.bytes).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'));
    expect(report.peakRssMB).toBeLessThan(MAX_CHILD_RSS_MB);
    // 200 MB of base64 through the server's schema checks, both ways: minutes on a loaded 2-core machine.
  }, 300_000);
});
