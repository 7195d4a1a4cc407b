/**
 * The Azure worker end to end: a real pass enqueues its job on Service Bus (the real SDK over AMQP
 * to the test peer), a stand-in for the Functions host receives the message in peek-lock and hands
 * it with its settlement actions to the worker handler, which migrates the mailbox between two
 * real Dovecots and settles the message itself.
 */
import { InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusReceiver } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceBusJobQueue } from '../../api/adapters/service-bus/service-bus-job-queue.js';
import { createWorkerHandler } from '../../api/functions/worker.js';
import { createMailferry } from '../../api/core/app/create-mailferry.js';
import type { Mailferry } from '../../api/core/app/mailferry.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage } from '../support/dovecot.js';
import { AmqpPeer } from '../support/amqp-peer/amqp-peer.js';
import { snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, waitForPass, type MigrationFixture } from '../support/migration-fixture.js';

const QUEUE = 'mailferry-jobs';
const LOCK_MS = 60_000;
const RECEIVE_WAIT_MS = 3_000;

describe('the Service Bus worker function', () => {
  let fx: MigrationFixture;
  let peer: AmqpPeer;
  let queue: ServiceBusJobQueue;
  let client: ServiceBusClient;
  let functionsHost: ServiceBusReceiver;
  let services: Mailferry;
  const context = () => new InvocationContext({ functionName: 'worker' });

  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['sb'] });
    peer = await AmqpPeer.start({ queues: { [QUEUE]: { lockDurationMs: LOCK_MS } } });
    queue = new ServiceBusJobQueue({
      connectionString: peer.connectionString,
      queueName: QUEUE,
      lockDurationMs: LOCK_MS,
      receiveMaxWaitMs: 250,
    });
    services = createMailferry({ ...fx.runtime.services.ports, queue });
    client = new ServiceBusClient(peer.connectionString);
    functionsHost = client.createReceiver(QUEUE, { receiveMode: 'peekLock', maxAutoLockRenewalDurationInMs: 0 });
  });
  afterAll(async () => {
    await functionsHost?.close();
    await client?.close();
    await queue?.close();
    await peer?.close();
    await fx?.close();
  });

  it('runs a job in slices: a slice that ends early puts the job back as a new message, the next one finishes it', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('sb');
    await fillMailbox(
      fx.source,
      sourceUser,
      'INBOX',
      [1, 2, 3, 4].map((n) => ({ raw: sampleMessage(n, 3_000) })),
    );
    await fillMailbox(
      fx.source,
      sourceUser,
      'Projects/2026',
      [5, 6].map((n) => ({ raw: sampleMessage(n, 3_000) })),
    );
    const { pass } = await services.startPass(LOCAL_TENANT, fx.projectId, { kind: 'full', itemIds: [itemId], itemTypes: ['mail'] });
    const engine = fx.runtime.engine;

    const [first] = await functionsHost.receiveMessages(1, { maxWaitTimeInMs: RECEIVE_WAIT_MS });
    expect(first?.messageId).toBe(`${pass.id}:${itemId}`);
    // A slice of 1 ms: the engine stops at its first checkpoint and releases the job.
    await createWorkerHandler(async () => ({ engine, queue }), 1)({ messages: [first!], settler: functionsHost }, context());
    const afterSlice = await services.items.getItem(LOCAL_TENANT, itemId);
    expect(afterSlice.status, afterSlice.lastRun?.reason).toBe('Queued');
    expect(await queue.depth()).toBe(1);

    const [second] = await functionsHost.receiveMessages(1, { maxWaitTimeInMs: RECEIVE_WAIT_MS });
    expect(second).toBeDefined();
    await createWorkerHandler(async () => ({ engine, queue }))({ messages: [second!], settler: functionsHost }, context());
    const ended = await waitForPass(fx.runtime, pass.id);
    expect(ended.summary).toMatchObject({ completed: 1, copied: 6, failed: 0 });
    expect(await queue.depth()).toBe(0);
    const source = await snapshotMailbox(fx.source, sourceUser);
    const dest = await snapshotMailbox(fx.destination, destUser);
    expect(dest.get('INBOX')).toEqual(source.get('INBOX'));
    expect(dest.get('Projects.2026')).toEqual(source.get('Projects/2026'));
  });
});
