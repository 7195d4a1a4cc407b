/**
 * The `$management` request/response operations the SDK sends for what the adapter uses:
 * renew-lock, schedule-message, cancel-scheduled-message and peek-message. Shapes follow
 * @azure/service-bus 7.9 ManagementClient (operation names in application property
 * `operation`, arguments in a map body) and the Service Bus AMQP management spec.
 */
import rhea, { type Message } from 'rhea';
import type { PeerQueue } from './peer-queue.js';
import { reply, scheduledTime, toNumber, withBrokerAnnotations } from './peer-wire.js';

export const OPERATION = {
  renewLock: 'com.microsoft:renew-lock',
  scheduleMessage: 'com.microsoft:schedule-message',
  cancelScheduledMessage: 'com.microsoft:cancel-scheduled-message',
  peekMessage: 'com.microsoft:peek-message',
} as const;

const STATUS_OK = 200;
const STATUS_NO_CONTENT = 204;
const STATUS_BAD_REQUEST = 400;
const STATUS_GONE = 410;
const STATUS_NOT_IMPLEMENTED = 501;
/** AMQP array element constructor for long (the SDK sends and expects sequence numbers so). */
const AMQP_LONG_CODE = 0x81;
const AMQP_TIMESTAMP_CODE = 0x83;

const LOCK_LOST = 'com.microsoft:message-lock-lost';

type Body = Record<string, unknown>;

/** Answers one management request against `queue` (or its dead-letter sub-queue). */
export function answerManagementRequest(queue: PeerQueue, deadLetters: boolean, request: Message): Message {
  const operation = String(request.application_properties?.operation ?? '');
  const body = (request.body ?? {}) as Body;
  try {
    switch (operation) {
      case OPERATION.renewLock:
        return renewLocks(queue, request, body);
      case OPERATION.scheduleMessage:
        return schedule(queue, request, body);
      case OPERATION.cancelScheduledMessage:
        queue.cancelScheduled((body['sequence-numbers'] as unknown[]).map(toNumber));
        return reply(request, STATUS_OK, {});
      case OPERATION.peekMessage:
        return peek(queue, deadLetters, request, body);
      default:
        return reply(request, STATUS_NOT_IMPLEMENTED, undefined, {
          condition: 'amqp:not-implemented',
          description: `The test peer does not implement ${operation || 'this operation'}.`,
        });
    }
  } catch (error) {
    return reply(request, STATUS_BAD_REQUEST, undefined, {
      condition: 'amqp:invalid-field',
      description: error instanceof Error ? error.message : String(error),
    });
  }
}

function renewLocks(queue: PeerQueue, request: Message, body: Body): Message {
  const lockTokens = (body['lock-tokens'] as Buffer[]).map((token) => rhea.uuid_to_string(token));
  const expirations: number[] = [];
  for (const lockToken of lockTokens) {
    const lockedUntil = queue.renewLock(lockToken);
    if (lockedUntil === undefined) {
      return reply(request, STATUS_GONE, undefined, {
        condition: LOCK_LOST,
        description: `The lock supplied is invalid: it expired, or the message was already removed (lock ${lockToken}).`,
      });
    }
    expirations.push(lockedUntil);
  }
  return reply(request, STATUS_OK, {
    expirations: rhea.types.wrap_array(
      expirations.map((at) => new Date(at)),
      AMQP_TIMESTAMP_CODE,
      undefined,
    ),
  });
}

function schedule(queue: PeerQueue, request: Message, body: Body): Message {
  const entries = body.messages as Array<{ message: Buffer }>;
  const sequenceNumbers = entries.map((entry) => {
    const message = rhea.message.decode(entry.message) as unknown as Message;
    return queue.enqueue(message, scheduledTime(message));
  });
  return reply(request, STATUS_OK, {
    'sequence-numbers': rhea.types.wrap_array(sequenceNumbers, AMQP_LONG_CODE, undefined),
  });
}

function peek(queue: PeerQueue, deadLetters: boolean, request: Message, body: Body): Message {
  const messages = queue.peek(toNumber(body['from-sequence-number']), toNumber(body['message-count']), deadLetters);
  if (messages.length === 0) return reply(request, STATUS_NO_CONTENT, { messages: [] });
  return reply(request, STATUS_OK, {
    messages: messages.map((message) => ({ message: rhea.message.encode(withBrokerAnnotations(message)) })),
  });
}
