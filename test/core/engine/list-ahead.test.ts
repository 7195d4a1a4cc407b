/**
 * A lane lists its next folder on the source session while the destination still answers for the
 * folder before it (run-migration-job.ts `listAhead`, copy-folder.ts `onSourceIdle`), and a listing
 * made ahead is dropped when the lane reconnects. The destination here takes a folder's whole input
 * before it answers for any of it, as the pipelined IMAP writer does with its window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MailConnector, SourceMessage } from '../../../api/core/connector.js';
import { ConnectionError } from '../../../api/core/errors.js';
import { contents, inMemoryApp, message, type InMemoryApp } from '../../support/in-memory-app.js';
import { overrideSessions } from '../../support/session-overrides.js';

interface Probe {
  events: string[];
  /** Throws once after taking this folder's whole input, before any answer (a dropped destination). */
  failAfterInput?: string;
}

/** Sessions numbered in opening order; the source's listings and reads and the destination's input and answers logged. */
function probed(probe: Probe, inner: MailConnector): MailConnector {
  return overrideSessions(inner, (session, id) => {
    const log = (event: string) => probe.events.push(event);
    return {
      listMessages: async (folder, filter) => {
        log(`list ${folder.path} on ${id}`);
        return session.listMessages(folder, filter);
      },
      async *readMessages(folder, refs) {
        for await (const read of session.readMessages(folder, refs)) {
          log(`read ${folder.path}`);
          yield read;
        }
      },
      async *appendMessages(path, messages) {
        const taken: SourceMessage[] = [];
        for await (const m of messages) taken.push(m);
        log(`input done ${path}`);
        if (probe.failAfterInput === path) {
          probe.failAfterInput = undefined;
          throw new ConnectionError('the destination dropped the connection');
        }
        // Give a listing started at the end of the input its turn before the answers come.
        await new Promise((resolve) => setTimeout(resolve, 20));
        for await (const result of session.appendMessages(path, fromArray(taken))) yield result;
        log(`answered ${path}`);
      },
    };
  });
}

async function* fromArray<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

describe('listing the next folder ahead', () => {
  let t: InMemoryApp;
  afterEach(() => t.close());

  async function setUp(probe: Probe) {
    t = inMemoryApp({ wrap: (inner) => probed(probe, inner) });
    const project = await t.project();
    const item = await t.addItem(project, 'ann');
    const source = t.connector.mailbox('ann@src.test');
    let n = 0;
    for (const folder of ['INBOX', 'Archive', 'Sent']) for (let i = 0; i < 3; i++) source.add(folder, message(++n));
    return { project, item, source, dest: t.connector.mailbox('ann@dst.test') };
  }

  it('lists a folder while the destination still answers for the one before it, and copies every folder once', async () => {
    const probe: Probe = { events: [] };
    const { project, item, source, dest } = await setUp(probe);
    await t.startPass(project, 'full', [item]);
    expect(await t.runQueue()).toEqual(['finished']);

    const [first, second, third] = probe.events.filter((e) => e.startsWith('list ')).map((e) => e.split(' ')[1]);
    const at = (event: string) => probe.events.indexOf(event);
    // Never while the folder before it is still being read; always before its answers.
    expect(at(`list ${second} on 1`)).toBeGreaterThan(probe.events.lastIndexOf(`read ${first}`));
    expect(at(`list ${second} on 1`)).toBeLessThan(at(`answered ${first}`));
    expect(at(`list ${third} on 1`)).toBeGreaterThan(probe.events.lastIndexOf(`read ${second}`));
    expect(at(`list ${third} on 1`)).toBeLessThan(at(`answered ${second}`));
    expect(probe.events.filter((e) => e.startsWith('list '))).toHaveLength(3); // each folder listed once
    expect(contents(dest)).toEqual(contents(source));
    expect((await t.item(item)).lastRun).toMatchObject({ status: 'Completed', copied: 9, failed: 0 });
  });

  it('lists the next folder again on the new sessions when the lane reconnected, and loses nothing', async () => {
    const probe: Probe = { events: [] };
    const { project, item, source, dest } = await setUp(probe);
    const [first, second] = ['INBOX', 'Archive']; // the plan's order: INBOX, then by name
    probe.failAfterInput = first;
    t.clock.autoAdvance = true; // the lane's reconnect waits its back-off on the test clock
    await t.startPass(project, 'full', [item]);
    expect(await t.runQueue()).toEqual(['finished']);

    // Sessions 1 and 2 were the first pair; the retry of the first folder opened 3 and 4.
    const listings = probe.events.filter((e) => e.startsWith(`list ${second} `));
    expect(listings).toEqual([`list ${second} on 1`, `list ${second} on 3`]);
    expect(contents(dest)).toEqual(contents(source));
    expect((await t.item(item)).lastRun).toMatchObject({ status: 'Completed', copied: 9, failed: 0 });
  });
});
