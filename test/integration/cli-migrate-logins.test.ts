/**
 * `mailferry migrate` with logins that are not addresses (Dovecot users `src2`, `dst2`), and into
 * a mailbox that already holds mail (issue 14 #8: the CLI named an invented `src2@imap.invalid` in
 * its errors, and a first run into a full mailbox copied everything again without a word).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillMailbox, sampleMessage, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { countsOf, snapshotMailbox } from '../support/mailbox-snapshot.js';

function mailferry(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'api/local/cli.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

describe('mailferry migrate with login names', () => {
  let source: DovecotServer;
  let destination: DovecotServer;
  let dataDir: string;
  const from = (password: string) => `imap://src2:${password}@${source.host}:${source.port}`;
  const to = () => `imap://dst2:dst2-pw@${destination.host}:${destination.port}`;

  beforeAll(async () => {
    [source, destination] = await Promise.all([
      startDovecot({ separator: '/', users: { src2: 'src2-pw', src3: 'src3-pw' } }),
      startDovecot({ separator: '.', users: { dst2: 'dst2-pw', dst3: 'dst3-pw' } }),
    ]);
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-cli-logins-'));
    await fillMailbox(
      source,
      'src2',
      'INBOX',
      [1, 2, 3].map((n) => ({ raw: sampleMessage(n, 2_000) })),
    );
    await fillMailbox(
      source,
      'src3',
      'INBOX',
      [4, 5].map((n) => ({ raw: sampleMessage(n, 2_000) })),
    );
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('names the login the admin typed when it is refused, never an invented address', () => {
    const result = mailferry(['migrate', '--from', from('wrong'), '--to', to(), '--json', '--data', join(dataDir, 'wrong')]);
    expect(result.code).toBe(1);
    const summary = lastJson(result.stdout);
    expect(summary.reason).toMatch(/\bsrc2\b/);
    expect(result.stdout + result.stderr).not.toContain('.invalid');
  });

  it('migrates between two logins, then a run with a new data directory refuses to copy the same mail again', async () => {
    const first = mailferry(['migrate', '--from', from('src2-pw'), '--to', to(), '--json', '--data', join(dataDir, 'first')]);
    expect(first.stderr).toBe('');
    expect(lastJson(first.stdout)).toMatchObject({ status: 'Completed', copied: 3 });

    // Another data directory has no record of that copy: the destination's 3 messages would be there twice.
    const again = mailferry(['migrate', '--from', from('src2-pw'), '--to', to(), '--json', '--data', join(dataDir, 'second')]);
    expect(again.code).toBe(3);
    expect(lastJson(again.stdout)).toMatchObject({ status: 'Not Started', copied: 0 });
    expect(again.stderr).toMatch(/already holds 3 messages \(INBOX 3\).*--into-non-empty/s);
    expect(countsOf(await snapshotMailbox(destination, 'dst2'))).toMatchObject({ INBOX: 3 });

    // The same data directory knows its copy: a second run is a delta, with no question asked.
    const delta = mailferry(['migrate', '--from', from('src2-pw'), '--to', to(), '--json', '--data', join(dataDir, 'first')]);
    expect(lastJson(delta.stdout)).toMatchObject({ status: 'Completed', copied: 0, skipped: 3 });

    // Asked for explicitly, a copy into the full mailbox goes ahead (merging another mailbox into it).
    const merge = mailferry([
      'migrate',
      '--from',
      `imap://src3:src3-pw@${source.host}:${source.port}`,
      '--to',
      to(),
      '--into-non-empty',
      '--json',
      '--data',
      join(dataDir, 'merge'),
    ]);
    expect(lastJson(merge.stdout)).toMatchObject({ status: 'Completed', copied: 2 });
    expect(countsOf(await snapshotMailbox(destination, 'dst2'))).toMatchObject({ INBOX: 5 });
  });
});
