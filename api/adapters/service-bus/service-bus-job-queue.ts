/**
 * The Azure JobQueue: one Service Bus queue message per job (item × pass), received in
 * peek-lock. Service Bus gives at-least-once delivery, locks, lock expiry and redelivery,
 * schedules and a dead-letter sub-queue; the adapter adds what the port needs on top:
 *
 * - Attempts and back-off: abandon would bring a failed job straight back and count towards the
 *   entity's MaxDeliveryCount, so a retry (and a release) completes the message and sends a copy
 *   carrying the attempts already spent, scheduled for the back-off (or the release's runAt).
 *   The lock is renewed first, so a lost lease fails before anything is sent; the SDK 7.x has
 *   no transactions, so a crash between send and complete can duplicate a job — harmless, as
 *   the engine's ledger makes a second run a no-op.
 * - maxAttempts per job: Service Bus only knows the entity's MaxDeliveryCount (set it above
 *   every job's maxAttempts). A job redelivered after its last attempt's lock expired is
 *   dead-lettered here, with the reason, before anyone runs it.
 * - Group limits: a GroupLimiter grants slots. A message of a full group stays locked by this
 *   instance ("parked") and is handed out first when a slot frees, so the order within a group
 *   holds. Parked locks are renewed whenever the engine calls lease() (idle workers poll) or
 *   renew() (busy workers renew their own leases), and close() gives parked messages back as
 *   copies that keep their attempt count.
 * - cancel: scheduled messages of the pass are found by peeking (their sequence numbers come
 *   from the broker, so retries scheduled by other instances are found too) and cancelled.
 *   Messages already active cannot be removed selectively; they stay, and the engine finishes
 *   a cancelled pass's job as Stopped when it finds the pass stopping.
 * - reapExpired: Service Bus expires locks itself; there is nothing to reap.
 */
import type { TokenCredential } from '@azure/identity';
import { randomUUID } from 'node:crypto';
import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusReceiver, type ServiceBusSender } from '@azure/service-bus';
import {
  systemClock,
  type Clock,
  type DeadLetter,
  type EnqueueOptions,
  type JobFailure,
  type JobPayload,
  type JobQueue,
  type LeasedJob,
} from '../../core/ports.js';
import { ValidationError } from '../../core/errors.js';
import { retryDelayMs } from '../job-retry-backoff.js';
import { InMemoryGroupLimiter, type GroupLimiter } from './group-limiter.js';
import {
  DEAD_LETTER_REASON,
  JOB_PROPERTY,
  MAX_DEAD_LETTER_DESCRIPTION_CHARS,
  attemptOf,
  fromJobMessage,
  toDeadLetter,
  toJobMessage,
  validatePayload,
  type JobEnvelope,
} from './job-message.js';
import { peekAll } from './peek-all.js';
import { isLockLost, leaseLost, positiveInteger, serviceBusFailure } from './service-bus-errors.js';

export const DEFAULT_MAX_ATTEMPTS = 5;
/** host.json `maxConcurrentCalls` default for one Functions instance. */
export const DEFAULT_MAX_CONCURRENT_CALLS = 16;
/** How long a lease() waits for a message before reporting an empty queue. */
export const DEFAULT_RECEIVE_MAX_WAIT_MS = 1_000;
/** Messages of full groups one instance holds at most; beyond that lease() stops pulling. */
export const MAX_PARKED_MESSAGES = 100;
/** A parked message's lock is renewed once less than this share of the lock duration is left. */
const PARKED_RENEW_FRACTION = 0.5;

export interface ServiceBusJobQueueOptions {
  /** Carries the shared access key: never logged, never put in an error message. */
  connectionString?: string;
  /** Or, in Azure (local auth off): the namespace host name and a managed-identity credential. */
  fullyQualifiedNamespace?: string;
  credential?: TokenCredential;
  queueName: string;
  /** The queue's LockDuration (infra/): Service Bus locks for that long whatever lockMs a caller asks. */
  lockDurationMs: number;
  maxConcurrentCalls?: number;
  receiveMaxWaitMs?: number;
  defaultMaxAttempts?: number;
  groupLimiter?: GroupLimiter;
  clock?: Clock;
  /** Jitter source for back-off; tests pin it. */
  random?: () => number;
}

/**
 * Who settles a message: this queue's own receiver, or the Functions host's message actions when
 * a Service Bus trigger delivered it (`adopt`). Same operations, same semantics.
 */
export type MessageSettler = Pick<ServiceBusReceiver, 'completeMessage' | 'deadLetterMessage' | 'renewMessageLock'>;

interface Held {
  message: ServiceBusReceivedMessage;
  envelope: JobEnvelope;
  attempt: number;
  lockedUntil: number;
  settler: MessageSettler;
}

/** A triggered job whose project is at its concurrency limit comes back after this long. */
const GROUP_FULL_RETRY_MS = 30_000;

export class ServiceBusJobQueue implements JobQueue {
  private readonly client: ServiceBusClient;
  private readonly sender: ServiceBusSender;
  private readonly receiver: ServiceBusReceiver;
  private readonly deadLetterReceiver: ServiceBusReceiver;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly limiter: GroupLimiter;
  private readonly maxConcurrentCalls: number;
  private readonly receiveMaxWaitMs: number;
  private readonly defaultMaxAttempts: number;
  /** Leases handed out by this instance, by lock token. */
  private readonly held = new Map<string, Held>();
  /** Messages of full groups, oldest first, locked by this instance until a slot frees. */
  private parked: Held[] = [];
  private renewingParked = false;

  constructor(private readonly options: ServiceBusJobQueueOptions) {
    positiveInteger(options.lockDurationMs, 'lockDurationMs');
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.limiter = options.groupLimiter ?? new InMemoryGroupLimiter(this.clock);
    this.maxConcurrentCalls = positiveInteger(options.maxConcurrentCalls, 'maxConcurrentCalls') ?? DEFAULT_MAX_CONCURRENT_CALLS;
    this.receiveMaxWaitMs = positiveInteger(options.receiveMaxWaitMs, 'receiveMaxWaitMs') ?? DEFAULT_RECEIVE_MAX_WAIT_MS;
    this.defaultMaxAttempts = positiveInteger(options.defaultMaxAttempts, 'defaultMaxAttempts') ?? DEFAULT_MAX_ATTEMPTS;
    if (options.connectionString) this.client = new ServiceBusClient(options.connectionString);
    else if (options.fullyQualifiedNamespace && options.credential)
      this.client = new ServiceBusClient(options.fullyQualifiedNamespace, options.credential);
    else
      throw new ValidationError('Give the Service Bus queue a connection string, or a namespace and a credential.', {
        field: 'connectionString',
      });
    this.sender = this.client.createSender(options.queueName);
    // The engine renews leases itself; the SDK's auto-renewal would keep a stuck job's lock alive.
    const receiverOptions = { receiveMode: 'peekLock', maxAutoLockRenewalDurationInMs: 0 } as const;
    this.receiver = this.client.createReceiver(options.queueName, receiverOptions);
    this.deadLetterReceiver = this.client.createReceiver(options.queueName, { ...receiverOptions, subQueueType: 'deadLetter' });
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  async enqueue(payload: JobPayload, options: EnqueueOptions = {}): Promise<string> {
    validatePayload(payload);
    const id = options.jobId ?? randomUUID();
    const envelope: JobEnvelope = {
      id,
      payload,
      group: options.group,
      groupLimit: positiveInteger(options.groupLimit, 'groupLimit'),
      maxAttempts: positiveInteger(options.maxAttempts, 'maxAttempts') ?? this.defaultMaxAttempts,
      priorAttempts: 0,
    };
    // messageId = job id: duplicate detection drops a second enqueue while the first is known.
    await this.send(toJobMessage(envelope, id), options.runAt);
    return id;
  }

  async lease(_workerId: string, lockMs: number): Promise<LeasedJob | undefined> {
    positiveInteger(lockMs, 'lockMs');
    this.forgetLapsedLeases();
    await this.keepParkedAlive();
    if (this.liveLeaseCount() >= this.maxConcurrentCalls) return undefined;
    const fromParked = await this.leaseParked();
    if (fromParked) return fromParked;
    while (this.parked.length < MAX_PARKED_MESSAGES) {
      const message = await this.receiveOne();
      if (!message) return undefined;
      const held = await this.admit(message);
      if (held && (await this.takeGroupSlot(held))) return this.hold(held);
      if (held) this.parked.push(held);
    }
    return undefined;
  }

  /**
   * Takes over a message a Service Bus trigger delivered (the Functions host holds its lock) and
   * returns it as a leased job, so complete/fail/release/renew apply the same rules as `lease()`.
   * Undefined when the message was dead-lettered (malformed, expired) or put back because its
   * project is at its maximum concurrent migrations.
   */
  async adopt(message: ServiceBusReceivedMessage, settler: MessageSettler): Promise<LeasedJob | undefined> {
    const held = await this.admit(message, settler);
    if (!held) return undefined;
    if (await this.takeGroupSlot(held)) return this.hold(held);
    await this.send(
      toJobMessage({ ...held.envelope, priorAttempts: held.attempt - 1 }, randomUUID()),
      new Date(this.now() + GROUP_FULL_RETRY_MS),
    );
    await settler.completeMessage(message);
    return undefined;
  }

  async renew(job: LeasedJob, _lockMs: number): Promise<boolean> {
    const held = this.held.get(job.leaseToken);
    if (!held) return false;
    try {
      await this.renewLock(held);
    } catch (error) {
      if (!isLockLost(error)) throw serviceBusFailure(error);
      await this.forget(held);
      return false;
    }
    job.lockedUntil = new Date(held.lockedUntil);
    await this.keepParkedAlive();
    return true;
  }

  async complete(job: LeasedJob): Promise<void> {
    const held = this.heldFor(job);
    await this.settle(job, held, () => held.settler.completeMessage(held.message));
  }

  async fail(job: LeasedJob, failure: JobFailure): Promise<'retrying' | 'dead-lettered'> {
    const held = this.heldFor(job);
    if (failure.retryable && held.attempt < held.envelope.maxAttempts) {
      const runAt = this.now() + retryDelayMs(held.attempt, failure.retryAfterMs, this.random);
      await this.requeue(job, held, held.attempt, new Date(runAt));
      return 'retrying';
    }
    const reason = failure.retryable ? DEAD_LETTER_REASON.attemptsExhausted : DEAD_LETTER_REASON.failed;
    await this.settle(job, held, () => this.deadLetter(held.settler, held.message, reason, failure.message, held.attempt));
    return 'dead-lettered';
  }

  async release(job: LeasedJob, runAt?: Date): Promise<void> {
    const held = this.heldFor(job);
    // The copy carries the attempts before this one: a released job did not fail.
    await this.requeue(job, held, held.attempt - 1, runAt);
  }

  /** Service Bus returns expired locks to the queue by itself. */
  async reapExpired(): Promise<number> {
    return 0;
  }

  async cancel(filter: { tenantId: string; passId: string }): Promise<JobPayload[]> {
    const scheduled = (await peekAll(this.receiver)).filter(
      (message) =>
        message.state === 'scheduled' &&
        message.applicationProperties?.[JOB_PROPERTY.tenantId] === filter.tenantId &&
        message.applicationProperties?.[JOB_PROPERTY.passId] === filter.passId,
    );
    if (scheduled.length === 0) return [];
    await this.sender.cancelScheduledMessages(scheduled.map((message) => message.sequenceNumber!));
    return scheduled.flatMap((message) => fromJobMessage(message, this.defaultMaxAttempts)?.payload ?? []);
  }

  async deadLetters(tenantId: string): Promise<DeadLetter[]> {
    return (await peekAll(this.deadLetterReceiver)).flatMap((message) => {
      const envelope = fromJobMessage(message, this.defaultMaxAttempts);
      return envelope?.payload.tenantId === tenantId ? [toDeadLetter(message, envelope)] : [];
    });
  }

  /** Active, scheduled and locked messages (parked ones included); production could read runtime counts instead. */
  async depth(): Promise<number> {
    return (await peekAll(this.receiver)).length;
  }

  async close(): Promise<void> {
    await this.unpark();
    await this.receiver.close();
    await this.deadLetterReceiver.close();
    await this.sender.close();
    await this.client.close();
  }

  private async send(message: ReturnType<typeof toJobMessage>, runAt?: Date): Promise<void> {
    try {
      if (runAt && runAt.getTime() > this.now()) await this.sender.scheduleMessages(message, runAt);
      else await this.sender.sendMessages(message);
    } catch (error) {
      throw serviceBusFailure(error);
    }
  }

  private async receiveOne(): Promise<ServiceBusReceivedMessage | undefined> {
    try {
      return (await this.receiver.receiveMessages(1, { maxWaitTimeInMs: this.receiveMaxWaitMs }))[0];
    } catch (error) {
      throw serviceBusFailure(error);
    }
  }

  /** Checks a received message; dead-letters what must not run. Undefined when nothing to hand out. */
  private async admit(message: ServiceBusReceivedMessage, settler: MessageSettler = this.receiver): Promise<Held | undefined> {
    const envelope = fromJobMessage(message, this.defaultMaxAttempts);
    if (!envelope) {
      await this.deadLetter(settler, message, DEAD_LETTER_REASON.malformed, 'The message is not a Mailferry job (no JSON payload).', 0);
      return undefined;
    }
    const attempt = attemptOf(message, envelope);
    if (attempt > envelope.maxAttempts) {
      // Its last attempt's lock expired (the worker vanished): the broker redelivered it.
      const description = `lease expired on attempt ${envelope.maxAttempts} of ${envelope.maxAttempts} (the worker stopped renewing)`;
      await this.deadLetter(settler, message, DEAD_LETTER_REASON.leaseExpired, description, envelope.maxAttempts);
      return undefined;
    }
    return { message, envelope, attempt, lockedUntil: message.lockedUntilUtc?.getTime() ?? this.now(), settler };
  }

  /** Renews parked locks that are running low; drops the ones already lost (the broker redelivers them). */
  private async keepParkedAlive(): Promise<void> {
    if (this.renewingParked) return;
    this.renewingParked = true;
    try {
      for (const held of [...this.parked]) {
        const remainingMs = held.lockedUntil - this.now();
        if (remainingMs >= this.options.lockDurationMs * PARKED_RENEW_FRACTION) continue;
        if (remainingMs <= 0 || !(await this.tryRenew(held))) this.parked = this.parked.filter((other) => other !== held);
      }
    } finally {
      this.renewingParked = false;
    }
  }

  /** Gives parked messages back as copies with their attempt count; a lapsed lock would count one. */
  private async unpark(): Promise<void> {
    const parked = this.parked;
    this.parked = [];
    for (const held of parked) {
      try {
        await this.send(toJobMessage({ ...held.envelope, priorAttempts: held.attempt - 1 }, randomUUID()));
        await held.settler.completeMessage(held.message);
      } catch {
        // Best effort on shutdown: the lock expires and the broker redelivers the message anyway.
      }
    }
  }

  /** Hands out the oldest parked message whose group has a free slot. */
  private async leaseParked(): Promise<LeasedJob | undefined> {
    for (const held of [...this.parked]) {
      if (held.lockedUntil <= this.now() || !(await this.takeGroupSlot(held))) continue;
      this.parked = this.parked.filter((other) => other !== held);
      // A worker gets a whole lock duration, as from a fresh receive, not what parking left.
      if (await this.tryRenew(held)) return this.hold(held);
      await this.forget(held);
    }
    return undefined;
  }

  private async takeGroupSlot(held: Held): Promise<boolean> {
    const { group, groupLimit } = held.envelope;
    if (group === undefined || groupLimit === undefined) return true;
    const holder = held.message.lockToken!;
    return this.limiter.tryAcquire({ group, limit: groupLimit, holder, until: new Date(held.lockedUntil) });
  }

  private hold(held: Held): LeasedJob {
    const leaseToken = held.message.lockToken!;
    this.held.set(leaseToken, held);
    const { envelope } = held;
    return {
      id: envelope.id,
      payload: envelope.payload,
      attempt: held.attempt,
      maxAttempts: envelope.maxAttempts,
      leaseToken,
      lockedUntil: new Date(held.lockedUntil),
    };
  }

  private heldFor(job: LeasedJob): Held {
    const held = this.held.get(job.leaseToken);
    if (!held) throw leaseLost(job);
    return held;
  }

  private async renewLock(held: Held): Promise<void> {
    held.lockedUntil = (await held.settler.renewMessageLock(held.message)).getTime();
    const { group } = held.envelope;
    if (group !== undefined) await this.limiter.extend(group, held.message.lockToken!, new Date(held.lockedUntil));
  }

  private async tryRenew(held: Held): Promise<boolean> {
    try {
      await this.renewLock(held);
      return true;
    } catch (error) {
      if (isLockLost(error)) return false;
      throw serviceBusFailure(error);
    }
  }

  /** Completes the message after sending a copy with `priorAttempts`, due at `runAt`. */
  private async requeue(job: LeasedJob, held: Held, priorAttempts: number, runAt?: Date): Promise<void> {
    // Renewing proves the lease is still ours before a copy exists that could not be taken back.
    if (!(await this.tryRenew(held))) {
      await this.forget(held);
      throw leaseLost(job);
    }
    await this.send(toJobMessage({ ...held.envelope, priorAttempts }, randomUUID()), runAt);
    await this.settle(job, held, () => held.settler.completeMessage(held.message));
  }

  /** Runs a settlement; a lost lock becomes ConflictError. The lease is forgotten either way. */
  private async settle(job: LeasedJob, held: Held, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (isLockLost(error)) throw leaseLost(job, error);
      throw serviceBusFailure(error);
    } finally {
      await this.forget(held);
    }
  }

  private deadLetter(
    settler: MessageSettler,
    message: ServiceBusReceivedMessage,
    reason: string,
    description: string,
    attempts: number,
  ): Promise<void> {
    return settler.deadLetterMessage(message, {
      deadLetterReason: reason,
      deadLetterErrorDescription: description.slice(0, MAX_DEAD_LETTER_DESCRIPTION_CHARS),
      [JOB_PROPERTY.attempts]: attempts,
      [JOB_PROPERTY.deadLetteredAt]: this.now(),
    });
  }

  private async forget(held: Held): Promise<void> {
    const lockToken = held.message.lockToken!;
    this.held.delete(lockToken);
    const { group } = held.envelope;
    if (group !== undefined) await this.limiter.release(group, lockToken);
  }

  private liveLeaseCount(): number {
    const now = this.now();
    return [...this.held.values()].filter((held) => held.lockedUntil > now).length;
  }

  /** Leases whose lock lapsed long ago will never be settled through this instance: drop them. */
  private forgetLapsedLeases(): void {
    const forgetBefore = this.now() - this.options.lockDurationMs;
    for (const [lockToken, held] of this.held) if (held.lockedUntil < forgetBefore) this.held.delete(lockToken);
  }
}
