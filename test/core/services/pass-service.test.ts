/**
 * Starting, scheduling and stopping passes (pass-service.ts and the application's startPass), on
 * the in-memory application: which items run, which wait for their end user and get a link,
 * which are refused and why, and how a pass ends.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../api/core/errors.js';
import type { Item, Project } from '../../../api/core/model.js';
import { contents, inMemoryApp, message, TENANT, type InMemoryApp } from '../../support/in-memory-app.js';

describe('the pass service', () => {
  let t: InMemoryApp;
  let project: Project;
  let ann: Item;
  let eve: Item;

  beforeEach(async () => {
    t = inMemoryApp();
    project = await t.project();
    ann = await t.addItem(project, 'ann');
    eve = await t.addItem(project, 'eve', { endUserCredentials: true });
    for (const name of ['ann', 'eve'])
      for (let n = 1; n <= 3; n++) t.connector.mailbox(`${name}@src.test`).add('INBOX', message(n), { internalDate: n });
    t.connector.passwords.set('eve@src.test', 'eve-secret');
  });
  afterEach(() => t.close());

  const tokenOf = (to: string) => /#token=(\S+)/.exec(t.mail.find((m) => m.to === to)?.text ?? '')?.[1];

  it('holds an item Waiting For End User with a link mailed to its source address, runs it once the password is confirmed, and ends the pass with one card', async () => {
    const { pass, accepted, credentialRequests } = await t.startPass(project, 'full', [ann, eve]);
    expect(accepted.sort()).toEqual([ann.id, eve.id].sort());
    expect(credentialRequests).toMatchObject({ sent: 1, failed: 0 });
    expect((await t.item(eve)).status).toBe('Waiting For End User');
    expect((await t.item(ann)).status).toBe('Queued');

    expect(await t.runQueue()).toEqual(['finished']); // ann only: eve has no job yet
    expect((await t.item(eve)).status).toBe('Waiting For End User');
    expect((await t.app.passes.getPass(TENANT, pass.id)).status).toBe('running');
    expect(t.cards).toEqual([]);

    const token = tokenOf('eve@src.test');
    expect(token).toBeDefined();
    expect(await t.app.endUser.submitCredentials(token!, { password: 'wrong' })).toMatchObject({ accepted: false });
    expect(await t.app.endUser.submitCredentials(token!, { password: 'eve-secret' })).toMatchObject({ accepted: true });
    expect((await t.item(eve)).status).toBe('Queued');

    expect(await t.runQueue()).toEqual(['finished']);
    expect(contents(t.connector.mailbox('eve@dst.test'))).toEqual(contents(t.connector.mailbox('eve@src.test')));
    expect(await t.item(eve)).toMatchObject({ status: 'Completed', lastRun: { passId: pass.id, copied: 3 } });
    expect((await t.app.passes.getPass(TENANT, pass.id)).status).toBe('completed');
    expect(t.cards.map((card) => card.pass.id)).toEqual([pass.id]);
  });

  it('refuses a second pass over an item still Waiting For End User, saying why, and runs the others', async () => {
    await t.startPass(project, 'full', [eve]);
    const { accepted, refused } = await t.startPass(project, 'full', [ann, eve]);
    expect(accepted).toEqual([ann.id]);
    expect(refused).toEqual([
      { itemId: eve.id, sourceAddress: 'eve@src.test', reason: 'already "Waiting For End User" in another pass; wait for it or stop it' },
    ]);
    await expect(t.startPass(project, 'full', [eve])).rejects.toThrow(
      /No selected item can run a full pass: eve@src\.test: already "Waiting For End User"/,
    );
  });

  it('stops a pass: its waiting item is Stopped at once, its link no longer works, and the pass ends', async () => {
    const { pass } = await t.startPass(project, 'full', [eve]);
    await t.app.passes.stopPass(TENANT, pass.id);
    expect(await t.item(eve)).toMatchObject({ status: 'Stopped', lastRun: { reason: 'Stopped by an administrator before it ran.' } });
    await expect(t.app.endUser.submitCredentials(tokenOf('eve@src.test')!, { password: 'eve-secret' })).rejects.toThrow();
    await t.tick();
    expect((await t.app.passes.getPass(TENANT, pass.id)).status).toBe('stopped');
    expect(await t.runQueue()).toEqual([]);
  });

  it('stops a queued item before it runs: nothing is copied', async () => {
    const { pass } = await t.startPass(project, 'full', [ann]);
    await t.app.passes.stopPass(TENANT, pass.id);
    expect(await t.runQueue()).toEqual([]);
    expect((await t.item(ann)).status).toBe('Stopped');
    expect(t.connector.mailbox('ann@dst.test').folders.get('INBOX')?.messages ?? []).toEqual([]);
  });

  it('allows Retry Errors only after a pass that completed with errors', async () => {
    await expect(t.startPass(project, 'retry-errors', [ann])).rejects.toThrow(
      /Retry Errors needs the item's last pass to have completed with at least one error \(it is "Not Started" with 0 errors\)/,
    );
    await t.startPass(project, 'full', [ann]);
    await t.runQueue();
    await expect(t.startPass(project, 'retry-errors', [ann])).rejects.toThrow(/it is "Completed" with 0 errors/);
  });

  it('holds a pass that starts later as Submitted until its time, then runs it', async () => {
    const startAt = new Date(t.clock.now().getTime() + 3_600_000);
    await t.startPass(project, 'full', [ann], { startAt: startAt.toISOString() });
    expect((await t.item(ann)).status).toBe('Submitted');
    await t.tick();
    expect(await t.runQueue()).toEqual([]);
    expect((await t.item(ann)).status).toBe('Submitted');

    t.clock.advanceTo(startAt);
    await t.tick();
    expect((await t.item(ann)).status).toBe('Queued');
    expect(await t.runQueue()).toEqual(['finished']);
    expect((await t.item(ann)).status).toBe('Completed');
  });

  it('asks a pre-stage pass for its cutoff, and any other pass not to have one', async () => {
    await expect(t.startPass(project, 'prestage', [ann])).rejects.toThrow(ValidationError);
    await expect(t.startPass(project, 'full', [ann], { cutoff: '90 days ago' })).rejects.toThrow(/cutoff applies to pre-stage passes only/);
    expect((await t.item(ann)).status).toBe('Not Started');
  });
});
