/**
 * Crash recovery (recover-pending.ts): a job that died between the destination's write and the
 * ledger's commit is run again by another worker, which finds what the dead one wrote and copies
 * the rest, never a message twice. The dead worker is a job frozen for good at a known write (its
 * promise never settles, so it never writes again), the way a SIGKILL leaves it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMigrationJob } from '../../../api/core/engine/run-migration-job.js';
import { ConnectionError } from '../../../api/core/errors.js';
import type { Item, Pass, Project } from '../../../api/core/model.js';
import type { JobPayload } from '../../../api/core/ports.js';
import { contents, inMemoryApp, message, TENANT, type InMemoryApp } from '../../support/in-memory-app.js';
import type { InMemoryMailbox } from '../../support/in-memory-mailbox.js';

const MESSAGES = 6;
/** The dead worker is frozen right after the destination stored this many messages. */
const STORED_BEFORE_DEATH = 4;

describe('a job that died between the destination write and the ledger commit', () => {
  let t: InMemoryApp;
  let project: Project;
  let item: Item;
  let source: InMemoryMailbox;
  let dest: InMemoryMailbox;

  beforeEach(async () => {
    t = inMemoryApp();
    project = await t.project();
    item = await t.addItem(project, 'bob');
    source = t.connector.mailbox('bob@src.test');
    dest = t.connector.mailbox('bob@dst.test');
    for (let n = 1; n <= MESSAGES; n++)
      source.add('INBOX', message(n, 100 * n), { internalDate: 1_000 * n, flags: n % 2 ? ['\\Seen'] : [] });
  });
  afterEach(() => t.close());

  /** Starts a pass and runs its job until the destination has stored `stored` messages, then freezes it for good. */
  async function dieAfter(stored: number): Promise<{ pass: Pass; job: JobPayload }> {
    const { pass } = await t.startPass(project, 'full', [item]);
    const lease = await t.queue.lease('doomed-worker', 60_000);
    const frozen = new Promise<void>((reached) => {
      dest.faults.afterStore = (_ref, count) => {
        if (count !== stored) return;
        reached();
        return new Promise<void>(() => {}); // never settles: this job writes nothing more
      };
    });
    void runMigrationJob(t.app.engine, lease!.payload, new AbortController().signal);
    await frozen;
    dest.faults.afterStore = undefined;
    return { pass, job: lease!.payload };
  }

  async function pendingRows(): Promise<number> {
    return (await t.store.ledger.folderEntries(TENANT, item.id, 'INBOX')).filter((e) => e.state === 'pending').length;
  }

  it('is resumed by the queue after its lease expires: what it wrote counts as copied, the rest is copied, nothing twice', async () => {
    await dieAfter(STORED_BEFORE_DEATH);
    expect(dest.folders.get('INBOX')!.messages).toHaveLength(STORED_BEFORE_DEATH);
    expect(await t.store.ledger.countDone(TENANT, item.id)).toBe(0);
    expect(await pendingRows()).toBe(MESSAGES);

    t.clock.advance(60_001);
    await t.tick(); // returns the expired lease to the queue
    expect(await t.runQueue()).toEqual(['finished']);

    expect(contents(dest)).toEqual(contents(source));
    expect(await pendingRows()).toBe(0);
    expect(await t.store.ledger.countDone(TENANT, item.id)).toBe(MESSAGES);
    expect((await t.item(item)).lastRun).toMatchObject({ status: 'Completed', copied: MESSAGES, failed: 0 });
  });

  it('pairs by size and date at a destination that does not mark its writes (IMAP), and marks what it paired', async () => {
    dest.marksWrites = false;
    await dieAfter(STORED_BEFORE_DEATH);
    expect(dest.folders.get('INBOX')!.messages.every((m) => m.sourceKey === undefined)).toBe(true);

    t.clock.advance(60_001);
    await t.tick();
    await t.runQueue();
    expect(contents(dest)).toEqual(contents(source));
    expect(
      dest.folders
        .get('INBOX')!
        .messages.slice(0, STORED_BEFORE_DEATH)
        .map((m) => m.sourceKey),
    ).toEqual(
      source.folders
        .get('INBOX')!
        .messages.slice(0, STORED_BEFORE_DEATH)
        .map((m) => `${source.folders.get('INBOX')!.uidValidity}:${m.uid}`),
    );
  });

  it('copies again a pending message whose write never reached the destination', async () => {
    await dieAfter(1);
    // The admin deleted the one copy meanwhile: nothing pairs, so every message is copied again, once.
    dest.folders.get('INBOX')!.messages.length = 0;
    t.clock.advance(60_001);
    await t.tick();
    await t.runQueue();
    expect(contents(dest)).toEqual(contents(source));
  });

  it('recovers inside the same job when the connection drops after the server stored a message', async () => {
    await t.startPass(project, 'full', [item]);
    let dropped = false;
    dest.faults.afterStore = (_ref, count) => {
      if (count === 3 && !dropped) {
        dropped = true;
        throw new ConnectionError('Connection closed after APPEND was sent.');
      }
    };
    t.clock.autoAdvance = true;
    expect(await t.runQueue()).toEqual(['finished']);
    expect(contents(dest)).toEqual(contents(source));
    expect((await t.item(item)).lastRun).toMatchObject({ status: 'Completed', copied: MESSAGES, failed: 0 });
    // One reconnect, after the first back-off step (1 s, jittered by at most a fifth either way).
    expect(t.clock.slept).toHaveLength(1);
    expect(t.clock.slept[0]).toBeGreaterThanOrEqual(800);
    expect(t.clock.slept[0]).toBeLessThanOrEqual(1_200);
    expect(t.connector.opened).toBe(4);
  });
});
