import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../../api/local/embedded-runtime.js';
import { TestClock } from '../../support/test-clock.js';

const QUIET = { info: () => {}, warn: () => {}, error: () => {} };
const LOCK_MS = 1_000;
/** JOB_MAX_ATTEMPTS in pass-service.ts. */
const ATTEMPTS = 5;

/** Found by the adversarial crash loop: a worker killed five times on one mailbox left its pass running for ever. */
describe('a job the queue gives up on because its worker kept dying', () => {
  let dataDir: string;
  let runtime: EmbeddedRuntime;
  afterEach(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails its item with a reason and lets the pass end', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-dead-job-'));
    const clock = new TestClock();
    runtime = await EmbeddedRuntime.open({ dataDir, clock, log: QUIET });
    const { services } = runtime;
    const endpoint = await services.projects.createEndpoint(LOCAL_TENANT, {
      name: 'IMAP',
      kind: 'imap',
      host: 'imap.invalid',
      security: 'none',
      allowSelfSigned: false,
      adminMode: 'login-star',
      adminLogin: 'admin',
      adminPassword: 'pw',
      authMechanism: 'password',
      domains: [],
    });
    const project = await services.projects.createProject(LOCAL_TENANT, {
      name: 'Crashing',
      sourceEndpointId: endpoint.id,
      destinationEndpointId: endpoint.id,
      options: [],
      maxConcurrentMigrations: 5,
    });
    const item = await services.items.addItem(LOCAL_TENANT, project.id, {
      sourceAddress: 'a@src.test',
      destinationAddress: 'a@dst.test',
      endUserCredentials: false,
      options: [],
    });
    const { pass } = await services.passes.startPass(LOCAL_TENANT, project.id, { kind: 'full', itemIds: [item.id], itemTypes: ['mail'] });

    // A worker takes the job and dies (its lease expires), five times.
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      expect(await runtime.queue.lease(`dead-worker:${attempt}`, LOCK_MS)).toBeDefined();
      clock.advance(LOCK_MS + 1);
      await runtime.queue.reapExpired();
    }
    expect((await runtime.queue.deadLetters(LOCAL_TENANT)).map((d) => d.reason)).toEqual([`lease expired ${ATTEMPTS} times`]);

    await runtime.tick();
    const failed = await services.items.getItem(LOCAL_TENANT, item.id);
    expect(failed.status).toBe('Failed');
    expect(failed.lastRun?.reason).toMatch(/worker stopped while copying this mailbox 5 times.*start another pass/);
    expect((await services.passes.getPass(LOCAL_TENANT, pass.id)).status).toBe('completed');
  });
});
