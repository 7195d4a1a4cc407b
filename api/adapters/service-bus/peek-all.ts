/**
 * Browses a whole entity (queue or dead-letter sub-queue) with peek, page by page from the first
 * sequence number. Peek locks nothing and returns active, locked and scheduled messages alike.
 */
import { createRequire } from 'node:module';
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

/** Messages per peek request: large pages, few round trips, bounded response size. */
export const PEEK_PAGE_SIZE = 250;
/** Sequence numbers start above zero, so peeking from zero starts at the oldest message. */
const FIRST_SEQUENCE_NUMBER = 0;

type SequenceNumber = NonNullable<ServiceBusReceivedMessage['sequenceNumber']>;

/**
 * `long` is the SDK's own dependency (sequence numbers are 64-bit). It is resolved from the SDK's
 * location so the adapter uses the very class the SDK checks for, without declaring a second
 * copy. An explicit start is needed: without one, peek continues from wherever the SDK's shared
 * management link last stopped, which would make every scan after the first start midway.
 */
const requireFromSdk = createRequire(createRequire(import.meta.url).resolve('@azure/service-bus'));
const Long = requireFromSdk('long') as { fromNumber(value: number): SequenceNumber };

export async function peekAll(receiver: ServiceBusReceiver): Promise<ServiceBusReceivedMessage[]> {
  const all: ServiceBusReceivedMessage[] = [];
  let from: SequenceNumber = Long.fromNumber(FIRST_SEQUENCE_NUMBER);
  for (;;) {
    const page = await receiver.peekMessages(PEEK_PAGE_SIZE, { fromSequenceNumber: from });
    all.push(...page);
    const last = page.at(-1)?.sequenceNumber;
    // Only an empty page ends the scan: Service Bus may return fewer than asked mid-entity.
    if (last === undefined) return all;
    from = last.add(1);
  }
}
