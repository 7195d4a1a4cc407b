/**
 * One queue entity of the AMQP test peer: the Service Bus message states the adapter relies on
 * (scheduled → active → locked → gone or dead-lettered), kept in memory and evaluated lazily
 * against an injectable clock, so a TestClock decides when schedules fire and locks expire.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from 'rhea';

/** Service Bus defaults (queue properties in the portal / Bicep), used unless a test overrides them. */
export const DEFAULT_LOCK_DURATION_MS = 60_000;
export const DEFAULT_MAX_DELIVERY_COUNT = 10;
export const DEFAULT_DUPLICATE_DETECTION_WINDOW_MS = 10 * 60_000;

/** The reason Service Bus writes when the broker itself dead-letters after MaxDeliveryCount. */
export const MAX_DELIVERY_COUNT_EXCEEDED = 'MaxDeliveryCountExceeded';

export interface PeerClock {
  now(): Date;
}

export interface PeerQueueOptions {
  lockDurationMs?: number;
  maxDeliveryCount?: number;
  duplicateDetectionWindowMs?: number;
}

export type PeerMessageState = 'scheduled' | 'active' | 'locked';

export interface PeerMessage {
  sequenceNumber: number;
  /** The message as the sender sent it (body, properties, application properties, annotations). */
  amqp: Message;
  enqueuedAt: number;
  /** When a scheduled message becomes active; ordering key together with the sequence number. */
  visibleAt: number;
  state: PeerMessageState;
  /** Prior deliveries that did not end in a settlement (AMQP header delivery-count). */
  deliveryCount: number;
  lockToken?: string;
  lockedUntil?: number;
}

/** What a receiver asked for when it settled a locked message. */
export type Settlement =
  | { kind: 'complete' }
  | { kind: 'abandon'; propertiesToModify?: Record<string, unknown> }
  | { kind: 'dead-letter'; properties: Record<string, unknown> }
  /** Deferral (modified, undeliverable-here) is not modelled: the peer refuses it. */
  | { kind: 'defer' };

export class PeerQueue {
  readonly lockDurationMs: number;
  readonly maxDeliveryCount: number;
  readonly duplicateDetectionWindowMs: number;
  private readonly messages: PeerMessage[] = [];
  private readonly deadLetters: PeerMessage[] = [];
  /** messageId → when it was first accepted: Service Bus keeps it for the whole window, settled or not. */
  private readonly seenMessageIds = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly clock: PeerClock,
    private readonly nextSequenceNumber: () => number,
    options: PeerQueueOptions = {},
  ) {
    this.lockDurationMs = options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS;
    this.maxDeliveryCount = options.maxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT;
    this.duplicateDetectionWindowMs = options.duplicateDetectionWindowMs ?? DEFAULT_DUPLICATE_DETECTION_WINDOW_MS;
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /**
   * Accepts a message (sent, or scheduled when `scheduledAt` is in the future). Returns its
   * sequence number, or the earlier message's when the id is a duplicate within the window.
   */
  enqueue(amqp: Message, scheduledAt?: number): number {
    const now = this.now();
    const messageId = amqp.message_id === undefined ? undefined : String(amqp.message_id);
    if (messageId !== undefined) {
      const seenAt = this.seenMessageIds.get(messageId);
      if (seenAt !== undefined && now - seenAt < this.duplicateDetectionWindowMs) {
        // Duplicate detection drops the message silently; the sender still sees "accepted".
        return this.messages.find((message) => message.amqp.message_id === amqp.message_id)?.sequenceNumber ?? 0;
      }
      this.seenMessageIds.set(messageId, now);
    }
    const scheduled = scheduledAt !== undefined && scheduledAt > now;
    const message: PeerMessage = {
      sequenceNumber: this.nextSequenceNumber(),
      amqp,
      enqueuedAt: now,
      visibleAt: scheduled ? scheduledAt : now,
      state: scheduled ? 'scheduled' : 'active',
      deliveryCount: 0,
    };
    this.messages.push(message);
    return message.sequenceNumber;
  }

  /** Locks and returns the first deliverable message, oldest first. */
  lockNext(): PeerMessage | undefined {
    this.refresh();
    const next = this.messages
      .filter((message) => message.state === 'active')
      .sort((a, b) => a.visibleAt - b.visibleAt || a.sequenceNumber - b.sequenceNumber)[0];
    if (!next) return undefined;
    next.state = 'locked';
    next.lockToken = randomUUID();
    next.lockedUntil = this.now() + this.lockDurationMs;
    return next;
  }

  /** The message `lockToken` still holds a live lock on, if any. */
  locked(lockToken: string): PeerMessage | undefined {
    this.refresh();
    return this.messages.find((message) => message.state === 'locked' && message.lockToken === lockToken);
  }

  /** Extends a live lock by the entity's lock duration; undefined when the lock was lost. */
  renewLock(lockToken: string): number | undefined {
    const message = this.locked(lockToken);
    if (!message) return undefined;
    message.lockedUntil = this.now() + this.lockDurationMs;
    return message.lockedUntil;
  }

  /** Applies a settlement; false when the lock was lost (expired, or settled already). */
  settle(lockToken: string, settlement: Settlement): boolean {
    const message = this.locked(lockToken);
    if (!message || settlement.kind === 'defer') return false;
    this.remove(message);
    if (settlement.kind === 'abandon') {
      // Service Bus counts every abandon as a delivery, and applies the properties to modify.
      message.amqp.application_properties ??= {};
      Object.assign(message.amqp.application_properties, settlement.propertiesToModify ?? {});
      this.unlock(message);
      this.messages.push(message);
      this.deadLetterIfExhausted(message);
    } else if (settlement.kind === 'dead-letter') {
      this.moveToDeadLetters(message, settlement.properties);
    }
    return true;
  }

  /** Removes scheduled messages by sequence number; unknown or already active ones stay. */
  cancelScheduled(sequenceNumbers: number[]): number {
    const wanted = new Set(sequenceNumbers);
    const cancelled = this.messages.filter((message) => message.state === 'scheduled' && wanted.has(message.sequenceNumber));
    for (const message of cancelled) this.remove(message);
    return cancelled.length;
  }

  /** Browses without locking, in sequence order: every state in the queue, or the dead letters. */
  peek(fromSequenceNumber: number, count: number, deadLetters: boolean): PeerMessage[] {
    this.refresh();
    return (deadLetters ? this.deadLetters : this.messages)
      .filter((message) => message.sequenceNumber >= fromSequenceNumber)
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
      .slice(0, count);
  }

  /** Activates due schedules and returns expired locks to the queue (counting the delivery). */
  refresh(): void {
    const now = this.now();
    for (const message of [...this.messages]) {
      if (message.state === 'scheduled' && message.visibleAt <= now) message.state = 'active';
      if (message.state === 'locked' && message.lockedUntil! <= now) {
        this.unlock(message);
        this.deadLetterIfExhausted(message);
      }
    }
  }

  private unlock(message: PeerMessage): void {
    message.state = 'active';
    message.deliveryCount += 1;
    message.lockToken = undefined;
    message.lockedUntil = undefined;
  }

  private deadLetterIfExhausted(message: PeerMessage): void {
    if (message.deliveryCount < this.maxDeliveryCount) return;
    this.remove(message);
    this.moveToDeadLetters(message, {
      DeadLetterReason: MAX_DELIVERY_COUNT_EXCEEDED,
      DeadLetterErrorDescription: `Message could not be consumed after ${this.maxDeliveryCount} delivery attempts.`,
    });
  }

  private moveToDeadLetters(message: PeerMessage, properties: Record<string, unknown>): void {
    message.amqp.application_properties ??= {};
    Object.assign(message.amqp.application_properties, properties);
    message.state = 'active';
    message.lockToken = undefined;
    message.lockedUntil = undefined;
    this.deadLetters.push(message);
  }

  private remove(message: PeerMessage): void {
    const index = this.messages.indexOf(message);
    if (index >= 0) this.messages.splice(index, 1);
  }
}
