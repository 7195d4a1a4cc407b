/**
 * How the test peer puts Service Bus state on the wire: the annotations a received or peeked
 * message carries, lock tokens in delivery tags, and AMQP longs the SDK sends as 8-byte buffers.
 */
import rhea, { type Message } from 'rhea';
import type { PeerMessage } from './peer-queue.js';

/** Annotation names the SDK reads (core-amqp Constants). */
export const ANNOTATION = {
  sequenceNumber: 'x-opt-sequence-number',
  enqueuedTime: 'x-opt-enqueued-time',
  lockedUntil: 'x-opt-locked-until',
  lockToken: 'x-opt-lock-token',
  scheduledEnqueueTime: 'x-opt-scheduled-enqueue-time',
  messageState: 'x-opt-message-state',
} as const;

/** x-opt-message-state values the SDK maps to "active" / "deferred" / "scheduled". */
const MESSAGE_STATE_ACTIVE = 0;
const MESSAGE_STATE_SCHEDULED = 2;

/** Byte ranges of a GUID that .NET stores little-endian; Service Bus sends lock-token delivery tags that way. */
const GUID_LITTLE_ENDIAN_GROUPS: Array<[number, number]> = [
  [0, 4],
  [4, 6],
  [6, 8],
];

/** A lock token as the delivery tag Service Bus sends (the SDK reorders it back: shouldReorderLockToken). */
export function lockTokenToDeliveryTag(lockToken: string): Buffer {
  const bytes = Buffer.from(rhea.string_to_uuid(lockToken));
  for (const [start, end] of GUID_LITTLE_ENDIAN_GROUPS) bytes.subarray(start, end).reverse();
  return bytes;
}

/** A sequence number or count as the SDK sends it: a JS number, a bigint or a big-endian 8-byte buffer. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) return Number(value.readBigInt64BE(0));
  if (value instanceof Date) return value.getTime();
  throw new TypeError(`Expected a number on the wire, got ${typeof value}.`);
}

/** The scheduled enqueue time a sender put on a message, if any. */
export function scheduledTime(amqp: Message): number | undefined {
  const value: unknown = amqp.message_annotations?.[ANNOTATION.scheduledEnqueueTime];
  return value === undefined || value === null ? undefined : toNumber(value);
}

/** The message as a receiver or a peek sees it: the sent message plus the broker's annotations. */
export function withBrokerAnnotations(message: PeerMessage): Message {
  const annotations: Record<string, unknown> = {
    ...(message.amqp.message_annotations ?? {}),
    [ANNOTATION.sequenceNumber]: rhea.types.wrap_long(message.sequenceNumber),
    [ANNOTATION.enqueuedTime]: rhea.types.wrap_timestamp(message.enqueuedAt),
    [ANNOTATION.messageState]: rhea.types.wrap_int(message.state === 'scheduled' ? MESSAGE_STATE_SCHEDULED : MESSAGE_STATE_ACTIVE),
  };
  if (message.state === 'locked') {
    annotations[ANNOTATION.lockedUntil] = rhea.types.wrap_timestamp(message.lockedUntil!);
    annotations[ANNOTATION.lockToken] = rhea.types.wrap_uuid(rhea.string_to_uuid(message.lockToken!));
  }
  return {
    ...message.amqp,
    delivery_count: message.deliveryCount,
    message_annotations: annotations,
  } as Message;
}

/** A request/response reply on a `$management` or `$cbs` link, correlated to the request. */
export function reply(request: Message, statusCode: number, body?: unknown, error?: { condition: string; description: string }): Message {
  const application_properties: Record<string, unknown> = {
    // $cbs answers with the hyphenated names, $management with camelCase: the SDK reads both.
    'status-code': statusCode,
    statusCode,
    statusDescription: error?.description ?? 'OK',
  };
  if (error) application_properties.errorCondition = error.condition;
  return { correlation_id: request.message_id, application_properties, body } as Message;
}
