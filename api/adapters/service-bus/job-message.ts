/**
 * How a job travels as a Service Bus message: the payload is the JSON body; what the queue
 * needs to decide (job id, group, limits, attempts already spent) rides in application
 * properties, so a copy re-sent for a retry or a release carries its history with it.
 */
import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import { ValidationError } from '../../core/errors.js';
import type { DeadLetter, JobPayload } from '../../core/ports.js';

/** Application property names; prefixed so they never collide with the broker's own. */
export const JOB_PROPERTY = {
  jobId: 'mailferryJobId',
  tenantId: 'mailferryTenantId',
  passId: 'mailferryPassId',
  group: 'mailferryGroup',
  groupLimit: 'mailferryGroupLimit',
  maxAttempts: 'mailferryMaxAttempts',
  /** Attempts counted before this copy was sent (a retry carries the failed attempt's number). */
  priorAttempts: 'mailferryPriorAttempts',
  /** Set when the adapter dead-letters: the attempts made and when. */
  attempts: 'mailferryAttempts',
  deadLetteredAt: 'mailferryDeadLetteredAt',
} as const;

/** DeadLetterReason values the adapter writes; the description carries the failure's own words. */
export const DEAD_LETTER_REASON = {
  failed: 'JobFailed',
  attemptsExhausted: 'JobAttemptsExhausted',
  leaseExpired: 'JobLeaseExpired',
  malformed: 'MalformedJob',
} as const;
/** Service Bus caps application properties by header size; keep descriptions well inside. */
export const MAX_DEAD_LETTER_DESCRIPTION_CHARS = 4_096;

/** The dead-letter reason Service Bus itself writes after MaxDeliveryCount lock expiries or abandons. */
export const BROKER_MAX_DELIVERY_REASON = 'MaxDeliveryCountExceeded';

export const PAYLOAD_FIELDS = ['tenantId', 'projectId', 'itemId', 'passId'] as const;

export interface JobEnvelope {
  id: string;
  payload: JobPayload;
  group?: string;
  groupLimit?: number;
  maxAttempts: number;
  priorAttempts: number;
}

export function validatePayload(payload: JobPayload): void {
  for (const field of PAYLOAD_FIELDS) {
    if (typeof payload[field] !== 'string' || payload[field].length === 0) {
      throw new ValidationError(`A job needs a ${field}.`, { field });
    }
  }
}

/** The message for a job; `messageId` is what duplicate detection compares. */
export function toJobMessage(envelope: JobEnvelope, messageId: string): ServiceBusMessage {
  const { payload } = envelope;
  const applicationProperties: Record<string, string | number> = {
    [JOB_PROPERTY.jobId]: envelope.id,
    [JOB_PROPERTY.tenantId]: payload.tenantId,
    [JOB_PROPERTY.passId]: payload.passId,
    [JOB_PROPERTY.maxAttempts]: envelope.maxAttempts,
    [JOB_PROPERTY.priorAttempts]: envelope.priorAttempts,
  };
  if (envelope.group !== undefined) applicationProperties[JOB_PROPERTY.group] = envelope.group;
  if (envelope.groupLimit !== undefined) applicationProperties[JOB_PROPERTY.groupLimit] = envelope.groupLimit;
  return {
    messageId,
    contentType: 'application/json',
    body: {
      tenantId: payload.tenantId,
      projectId: payload.projectId,
      itemId: payload.itemId,
      passId: payload.passId,
    } satisfies JobPayload,
    applicationProperties,
  };
}

function numberProperty(message: ServiceBusReceivedMessage, name: string): number | undefined {
  const value = message.applicationProperties?.[name];
  return typeof value === 'number' ? value : undefined;
}

function stringProperty(message: ServiceBusReceivedMessage, name: string): string | undefined {
  const value = message.applicationProperties?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads a job back; undefined when the message is not one of ours (it gets dead-lettered). */
export function fromJobMessage(message: ServiceBusReceivedMessage, defaultMaxAttempts: number): JobEnvelope | undefined {
  const body = message.body as Partial<JobPayload> | undefined;
  if (!body || PAYLOAD_FIELDS.some((field) => typeof body[field] !== 'string')) return undefined;
  const payload: JobPayload = {
    tenantId: body.tenantId!,
    projectId: body.projectId!,
    itemId: body.itemId!,
    passId: body.passId!,
  };
  return {
    id: stringProperty(message, JOB_PROPERTY.jobId) ?? String(message.messageId),
    payload,
    group: stringProperty(message, JOB_PROPERTY.group),
    groupLimit: numberProperty(message, JOB_PROPERTY.groupLimit),
    maxAttempts: numberProperty(message, JOB_PROPERTY.maxAttempts) ?? defaultMaxAttempts,
    priorAttempts: numberProperty(message, JOB_PROPERTY.priorAttempts) ?? 0,
  };
}

/**
 * The attempt a delivery represents. The AMQP header delivery-count (what SDK 7.x exposes as
 * `deliveryCount`) counts earlier deliveries of this copy that ended without settlement (lock
 * expired, abandoned); the copy's own history adds the attempts spent before it was sent.
 */
export function attemptOf(message: ServiceBusReceivedMessage, envelope: JobEnvelope): number {
  return envelope.priorAttempts + (message.deliveryCount ?? 0) + 1;
}

/** A peeked dead-letter message as the port's DeadLetter. */
export function toDeadLetter(message: ServiceBusReceivedMessage, envelope: JobEnvelope): DeadLetter {
  const brokerGaveUp = message.deadLetterReason === BROKER_MAX_DELIVERY_REASON;
  const attempts = numberProperty(message, JOB_PROPERTY.attempts) ?? envelope.priorAttempts + (message.deliveryCount ?? 0);
  const at = numberProperty(message, JOB_PROPERTY.deadLetteredAt) ?? message.enqueuedTimeUtc?.getTime() ?? 0;
  return {
    id: envelope.id,
    payload: envelope.payload,
    attempts,
    reason: brokerGaveUp
      ? `lease expired ${message.deliveryCount ?? 0} times (Service Bus MaxDeliveryCount)`
      : (message.deadLetterErrorDescription ?? message.deadLetterReason ?? 'dead-lettered'),
    at: new Date(at),
  };
}
