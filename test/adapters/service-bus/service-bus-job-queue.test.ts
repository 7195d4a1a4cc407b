/**
 * ServiceBusJobQueue through the real @azure/service-bus SDK over real AMQP, against the test
 * peer in test/support/amqp-peer (no Service Bus emulator runs here). The peer reads the same
 * TestClock as the adapter, so schedules, lock expiry and back-off follow the test's time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceBusClient } from '@azure/service-bus';
import { ServiceBusJobQueue } from '../../../api/adapters/service-bus/service-bus-job-queue.js';
import { describeJobQueueConformance } from '../../conformance/job-queue-conformance.js';
import { LOCK_MS, payload, TENANT_A } from '../../conformance/job-queue-fixtures.js';
import { AmqpPeer } from '../../support/amqp-peer/amqp-peer.js';
import type { PeerQueueOptions } from '../../support/amqp-peer/peer-queue.js';
import { TestClock } from '../../support/test-clock.js';

const QUEUE = 'mailferry-jobs';
/** Every empty lease waits this long: short enough for a fast suite, long enough for loopback AMQP on a busy machine. */
const RECEIVE_MAX_WAIT_MS = 250;

async function startQueue(clock: TestClock, queueOptions: PeerQueueOptions = {}, maxConcurrentCalls?: number) {
  const peer = await AmqpPeer.start({ clock, queues: { [QUEUE]: { lockDurationMs: LOCK_MS, ...queueOptions } } });
  const queue = new ServiceBusJobQueue({
    connectionString: peer.connectionString,
    queueName: QUEUE,
    lockDurationMs: LOCK_MS,
    receiveMaxWaitMs: RECEIVE_MAX_WAIT_MS,
    maxConcurrentCalls,
    clock,
  });
  return {
    peer,
    queue,
    cleanup: async () => {
      await queue.close();
      await peer.close();
    },
  };
}

describeJobQueueConformance('ServiceBusJobQueue', (clock) => startQueue(clock), {
  reenqueueFinishedJobId: false,
  cancelEnqueued: false,
});

describe('ServiceBusJobQueue', () => {
  let clock: TestClock;
  let current: Awaited<ReturnType<typeof startQueue>>;

  beforeEach(() => {
    clock = new TestClock();
  });
  afterEach(async () => {
    await current?.cleanup();
  });

  it('names the lease expiries when Service Bus itself dead-letters at MaxDeliveryCount', async () => {
    current = await startQueue(clock, { maxDeliveryCount: 2 });
    const { queue } = current;
    await queue.enqueue(payload('item-1'), { maxAttempts: 5 });
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      expect(await queue.lease('worker-1', LOCK_MS)).toMatchObject({ attempt });
      clock.advance(LOCK_MS);
    }
    expect(await queue.lease('worker-1', LOCK_MS)).toBeUndefined();
    expect(await queue.deadLetters(TENANT_A)).toMatchObject([
      { attempts: 2, reason: 'lease expired 2 times (Service Bus MaxDeliveryCount)' },
    ]);
  });

  it('leases no more than maxConcurrentCalls jobs at once, and a completion frees one', async () => {
    current = await startQueue(clock, {}, 2);
    const { queue } = current;
    for (const itemId of ['item-1', 'item-2', 'item-3']) await queue.enqueue(payload(itemId));
    const first = (await queue.lease('worker-1', LOCK_MS))!;
    await queue.lease('worker-2', LOCK_MS);
    expect(await queue.lease('worker-3', LOCK_MS)).toBeUndefined();
    await queue.complete(first);
    expect((await queue.lease('worker-3', LOCK_MS))?.payload.itemId).toBe('item-3');
  });

  it('keeps a retried job one message with its history: the copy is scheduled, the original gone', async () => {
    current = await startQueue(clock);
    const { queue, peer } = current;
    await queue.enqueue(payload('item-1'), { jobId: 'job-1' });
    await queue.fail((await queue.lease('worker-1', LOCK_MS))!, { message: 'busy', retryable: true });
    const [copy, ...others] = peer.queue(QUEUE).peek(0, 10, false);
    expect(others).toEqual([]);
    expect(copy).toMatchObject({ state: 'scheduled', deliveryCount: 0 });
    expect(copy!.amqp.application_properties).toMatchObject({ mailferryJobId: 'job-1', mailferryPriorAttempts: 1 });
  });

  it('holds a job of a full group for this instance and hands it out first when a slot frees', async () => {
    current = await startQueue(clock);
    const { queue } = current;
    await queue.enqueue(payload('item-1'), { group: 'project-1', groupLimit: 1 });
    await queue.enqueue(payload('item-2'), { group: 'project-1', groupLimit: 1 });
    await queue.enqueue(payload('item-3'));
    const first = (await queue.lease('worker-1', LOCK_MS))!;
    expect((await queue.lease('worker-2', LOCK_MS))?.payload.itemId).toBe('item-3');
    clock.advance(LOCK_MS / 2);
    await queue.complete(first);
    const parked = await queue.lease('worker-3', LOCK_MS);
    expect(parked).toMatchObject({ attempt: 1, payload: { itemId: 'item-2' } });
    expect(parked!.lockedUntil.getTime()).toBe(clock.now().getTime() + LOCK_MS);
  });

  it("keeps a parked job's lock alive while busy workers renew their own leases", async () => {
    current = await startQueue(clock);
    const { queue } = current;
    await queue.enqueue(payload('item-1'), { group: 'project-1', groupLimit: 1 });
    await queue.enqueue(payload('item-2'), { group: 'project-1', groupLimit: 1 });
    const running = (await queue.lease('worker-1', LOCK_MS))!;
    expect(await queue.lease('worker-2', LOCK_MS)).toBeUndefined();
    for (let renewal = 0; renewal < 3; renewal += 1) {
      clock.advance(LOCK_MS * 0.6);
      expect(await queue.renew(running, LOCK_MS)).toBe(true);
    }
    await queue.complete(running);
    expect(await queue.lease('worker-2', LOCK_MS)).toMatchObject({ attempt: 1, payload: { itemId: 'item-2' } });
  });

  it('gives parked jobs back on close without counting an attempt', async () => {
    current = await startQueue(clock);
    const { queue, peer } = current;
    await queue.enqueue(payload('item-1'), { group: 'project-1', groupLimit: 1 });
    await queue.enqueue(payload('item-2'), { group: 'project-1', groupLimit: 1 });
    await queue.lease('worker-1', LOCK_MS);
    expect(await queue.lease('worker-2', LOCK_MS)).toBeUndefined();
    await queue.close();
    const successor = new ServiceBusJobQueue({
      connectionString: peer.connectionString,
      queueName: QUEUE,
      lockDurationMs: LOCK_MS,
      receiveMaxWaitMs: RECEIVE_MAX_WAIT_MS,
      clock,
    });
    current = {
      ...current,
      queue: successor,
      cleanup: async () => {
        await successor.close();
        await peer.close();
      },
    };
    expect(await successor.lease('worker-3', LOCK_MS)).toMatchObject({ attempt: 1, payload: { itemId: 'item-2' } });
  });

  it('never puts the shared access key in an error', async () => {
    current = await startQueue(clock);
    const secret = /SharedAccessKey=[^;]+/.exec(current.peer.connectionString)![0].split('=')[1]!;
    const wrong = new ServiceBusJobQueue({
      connectionString: current.peer.connectionString,
      queueName: 'no-such-queue',
      lockDurationMs: LOCK_MS,
      clock,
    });
    const error = await wrong.enqueue(payload('item-1')).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    await wrong.close();
    expect(error).toBeInstanceOf(Error);
    expect(`${String(error)} ${(error as Error).stack} ${JSON.stringify(error)}`).not.toContain(secret);
  });
});

describe('AmqpPeer, seen through the Service Bus SDK', () => {
  it('counts an abandon as a delivery and applies the properties to modify', async () => {
    const clock = new TestClock();
    const peer = await AmqpPeer.start({ clock, queues: { [QUEUE]: { lockDurationMs: LOCK_MS } } });
    const client = new ServiceBusClient(peer.connectionString);
    try {
      await client.createSender(QUEUE).sendMessages({ body: { n: 1 }, messageId: 'm-1' });
      const receiver = client.createReceiver(QUEUE, { maxAutoLockRenewalDurationInMs: 0 });
      const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: RECEIVE_MAX_WAIT_MS });
      expect(first).toMatchObject({ deliveryCount: 0, messageId: 'm-1' });
      await receiver.abandonMessage(first!, { note: 'abandoned once' });
      const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: RECEIVE_MAX_WAIT_MS });
      expect(second).toMatchObject({ deliveryCount: 1, applicationProperties: { note: 'abandoned once' } });
      expect(second!.lockToken).not.toBe(first!.lockToken);
      clock.advance(LOCK_MS);
      await expect(receiver.renewMessageLock(second!)).rejects.toMatchObject({ code: 'MessageLockLost' });
    } finally {
      await client.close();
      await peer.close();
    }
  });
});
