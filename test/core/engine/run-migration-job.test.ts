/**
 * The copy engine and the job run, end to end inside one process: the pass service queues the
 * jobs, the real SQLite store and queue (in memory) hold the state, in-memory mailboxes stand on
 * both sides, and the clock moves only when the test moves it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FOLDER_ROW_KEY, TRIAL_ITEMS_PER_FOLDER } from '../../../api/core/engine/copy-folder.js';
import type { Item, Project } from '../../../api/core/model.js';
import { contents, inMemoryApp, message, TENANT, type InMemoryApp } from '../../support/in-memory-app.js';
import type { InMemoryMailbox } from '../../support/in-memory-mailbox.js';

const DAY_MS = 86_400_000;

describe('a job run over in-memory mailboxes', () => {
  let t: InMemoryApp;
  let project: Project;
  let item: Item;
  let source: InMemoryMailbox;
  let dest: InMemoryMailbox;

  beforeEach(async () => {
    t = inMemoryApp();
    project = await t.project();
    item = await t.addItem(project, 'ann');
    source = t.connector.mailbox('ann@src.test');
    dest = t.connector.mailbox('ann@dst.test');
    const now = t.clock.now().getTime();
    for (let n = 1; n <= 4; n++) source.add('INBOX', message(n), { flags: n === 1 ? ['\\Seen'] : [], internalDate: now - n * DAY_MS });
    source.add('Projects/2026', message(5), { flags: ['\\Flagged'], internalDate: now - 200 * DAY_MS });
  });
  afterEach(() => t.close());

  it('copies every message of every folder with its flags and date, and ends the item and the pass with the counts', async () => {
    const { pass } = await t.startPass(project, 'full', [item]);
    expect(await t.runQueue()).toEqual(['finished']);

    expect(contents(dest)).toEqual(contents(source));
    const done = await t.item(item);
    expect(done.status).toBe('Completed');
    expect(done.lastRun).toMatchObject({ passId: pass.id, copied: 5, skipped: 0, failed: 0 });
    expect(done.statistics).toMatchObject({ passes: 1, messagesAtDestination: 5, currentErrors: 0 });
    expect((await t.app.passes.getPass(TENANT, pass.id)).status).toBe('completed');
    expect(t.cards.map((card) => card.pass.id)).toEqual([pass.id]);
  });

  it('copies nothing on a second full pass: every message is skipped as already copied', async () => {
    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    const after = contents(dest);

    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    expect(contents(dest)).toEqual(after);
    expect((await t.item(item)).lastRun).toMatchObject({ status: 'Completed', copied: 0, skipped: 5, failed: 0 });
  });

  it('copies a message that arrived since the last pass, and only that one', async () => {
    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    source.add('INBOX', message(6), { internalDate: t.clock.now().getTime() });

    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    expect(contents(dest)).toEqual(contents(source));
    expect((await t.item(item)).lastRun).toMatchObject({ copied: 1, skipped: 5 });
  });

  it('copies each message once across a pre-stage and the full pass after it', async () => {
    await t.startPass(project, 'prestage', [item], { cutoff: '90 days ago' });
    await t.runQueue();
    expect(contents(dest)['Projects/2026']).toHaveLength(1);
    expect(contents(dest).INBOX).toEqual([]);

    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    expect(contents(dest)).toEqual(contents(source));
    expect((await t.item(item)).lastRun).toMatchObject({ copied: 4, skipped: 1 });
  });

  it(`copies at most ${TRIAL_ITEMS_PER_FOLDER} messages per folder in a trial pass`, async () => {
    for (let n = 10; n < 20; n++) source.add('INBOX', message(n), { internalDate: n });
    await t.startPass(project, 'trial', [item]);
    await t.runQueue();
    expect(contents(dest).INBOX).toHaveLength(TRIAL_ITEMS_PER_FOLDER);
    expect(contents(dest)['Projects/2026']).toHaveLength(1);
  });

  it('copies nothing in a verify pass, yet opens both mailboxes', async () => {
    await t.startPass(project, 'verify', [item]);
    await t.runQueue();
    expect([...dest.folders.values()].flatMap((f) => f.messages)).toEqual([]);
    expect(t.connector.opened).toBe(2);
    expect((await t.item(item)).status).toBe('Completed');
  });

  it('turns a message over MaxItemSizeBytes into an error row with the reason, copies the rest, and a Retry Errors pass copies it once the limit is raised', async () => {
    source.add('INBOX', message(7, 5_000), { internalDate: 7 });
    await t.app.projects.updateProject(TENANT, project.id, { options: ['MaxItemSizeBytes=4000'] });
    await t.startPass(project, 'full', [item]);
    await t.runQueue();

    const errors = (await t.store.errors.list(TENANT, item.id)).items;
    expect(errors).toEqual([
      expect.objectContaining({ folder: 'INBOX', code: 'too-large', reason: expect.stringMatching(/over MaxItemSizeBytes=4000/) }),
    ]);
    expect(errors[0]!.size).toBeGreaterThan(4_000);
    expect(await t.item(item)).toMatchObject({
      status: 'Completed With Errors',
      lastRun: { copied: 5, failed: 1 },
      statistics: { currentErrors: 1 },
    });
    expect(contents(dest).INBOX).toHaveLength(4);

    await t.app.projects.updateProject(TENANT, project.id, { options: [] });
    await t.startPass(project, 'retry-errors', [item]);
    await t.runQueue();
    expect(contents(dest)).toEqual(contents(source));
    expect(await t.store.errors.count(TENANT, item.id)).toBe(0);
    expect(await t.item(item)).toMatchObject({ status: 'Completed', lastRun: { kind: 'retry-errors', copied: 1, failed: 0 } });
  });

  it("records a message the destination refuses as too large with the destination's reason, and goes on", async () => {
    source.add('INBOX', message(8, 9_000), { internalDate: 8 });
    dest.maxMessageBytes = 8_000;
    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    const [row] = (await t.store.errors.list(TENANT, item.id)).items;
    expect(row).toMatchObject({ code: 'too-large', reason: expect.stringMatching(/takes at most 8000/) });
    expect(await t.item(item)).toMatchObject({ status: 'Completed With Errors', lastRun: { copied: 5, failed: 1 } });
  });

  it('fails the mailbox with MaxErrors in the reason once more items failed than it allows', async () => {
    for (let n = 30; n < 33; n++) source.add('INBOX', message(n, 5_000), { internalDate: n });
    await t.app.projects.updateProject(TENANT, project.id, { options: ['MaxItemSizeBytes=4000', 'MaxErrors=1'] });
    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    const failed = await t.item(item);
    expect(failed.status).toBe('Failed');
    expect(failed.lastRun?.reason).toMatch(/More than MaxErrors=1 items failed/);
  });

  it('fails the item and names the side when the source refuses the login, without retrying', async () => {
    t.connector.passwords.set('ann@src.test', 'only-this');
    await t.startPass(project, 'full', [item]);
    expect(await t.runQueue()).toEqual(['finished']);
    const failed = await t.item(item);
    expect(failed.status).toBe('Failed');
    expect(failed.lastRun?.reason).toMatch(/^Source \(ann@src\.test\): Login as .* failed/);
    expect(await t.store.ledger.countDone(TENANT, item.id)).toBe(0);
  });

  it('creates an empty source folder at the destination and reports no error row for it', async () => {
    source.folder(['Archive', 'Empty']);
    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    expect(dest.folders.has('Archive/Empty')).toBe(true);
    expect((await t.store.errors.list(TENANT, item.id)).items.map((r) => r.sourceKey)).not.toContain(FOLDER_ROW_KEY);
  });

  it('stops a running pass at the next checkpoint and keeps what it copied; a later pass copies the rest once', async () => {
    const { pass } = await t.startPass(project, 'full', [item]);
    // The admin presses Stop while the first message is being written.
    dest.faults.afterStore = async (_ref, stored) => {
      if (stored === 1) await t.app.passes.stopPass(TENANT, pass.id);
    };
    await t.runQueue();
    const stopped = await t.item(item);
    expect(stopped.status).toBe('Stopped');
    expect((await t.app.passes.getPass(TENANT, pass.id)).status).toBe('stopped');
    const kept = [...dest.folders.values()].flatMap((f) => f.messages).length;
    expect(kept).toBeLessThan(5);

    dest.faults.afterStore = undefined;
    await t.startPass(project, 'full', [item]);
    await t.runQueue();
    expect(contents(dest)).toEqual(contents(source));
  });
});
