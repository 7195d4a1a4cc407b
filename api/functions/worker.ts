/**
 * The Azure worker: a Service Bus queue trigger that runs one mailbox job per message and settles
 * the message itself (auto-complete off), using the same queue rules as the embedded worker pool.
 * A job runs at most one slice (SLICE_MS) per invocation, well inside the function timeout of
 * host.json; at the slice's end the engine stops at its next checkpoint and the job goes back to
 * the queue as a new message, resuming from the ledger.
 */
import { app, type InvocationContext } from '@azure/functions';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { ServiceBusJobQueue, type MessageSettler } from '../adapters/service-bus/service-bus-job-queue.js';
import { runLeasedJob } from '../core/engine/run-leased-job.js';
import { MailferryError } from '../core/errors.js';
import { azureHost, JOB_LOCK_MS, type AzureHost } from './azure-host.js';

/** host.json's functionTimeout is 10 minutes: a slice ends two minutes before it. */
export const SLICE_MS = 8 * 60 * 1000;

/** What the trigger hands over: the message(s) and the host's settlement actions for them. */
export interface TriggeredDelivery {
  messages: ServiceBusReceivedMessage | ServiceBusReceivedMessage[];
  settler: MessageSettler;
}

export function createWorkerHandler(host: () => Promise<Pick<AzureHost, 'engine' | 'queue'>>, sliceMs = SLICE_MS) {
  return async function worker(delivery: TriggeredDelivery, context: InvocationContext): Promise<void> {
    const { engine, queue } = await host();
    if (!(queue instanceof ServiceBusJobQueue)) {
      throw new MailferryError('unsupported', 'The Service Bus worker needs MAILFERRY_QUEUE=servicebus.', { field: 'MAILFERRY_QUEUE' });
    }
    for (const message of ([] as ServiceBusReceivedMessage[]).concat(delivery.messages)) {
      const job = await queue.adopt(message, delivery.settler);
      if (!job) continue; // dead-lettered or put back for a busy project: already settled
      const outcome = await runLeasedJob(engine, queue, job, JOB_LOCK_MS, AbortSignal.timeout(sliceMs));
      context.log(`Job ${job.id} (attempt ${job.attempt}): ${outcome}.`);
    }
  };
}

/**
 * The @azure/functions-extensions-servicebus SDK binding hands `{ messages, actions }`; its
 * actions are wrapped here so a missing operation fails loudly instead of losing a message.
 */
function settlerFrom(actions: Record<string, unknown>): MessageSettler {
  const call =
    (name: string) =>
    (...args: unknown[]) => {
      const fn = actions[name];
      if (typeof fn !== 'function')
        throw new MailferryError(
          'unsupported',
          `The Service Bus extension offers no "${name}" action; update @azure/functions-extensions-servicebus.`,
        );
      return fn.apply(actions, args);
    };
  return {
    completeMessage: call('complete') as MessageSettler['completeMessage'],
    deadLetterMessage: call('deadletter') as MessageSettler['deadLetterMessage'],
    renewMessageLock: call('renewMessageLock') as MessageSettler['renewMessageLock'],
  };
}

const worker = createWorkerHandler(() => azureHost());

app.serviceBusQueue('worker', {
  connection: 'ServiceBusConnection',
  queueName: '%MAILFERRY_SERVICEBUS_QUEUE%',
  sdkBinding: true,
  autoCompleteMessages: false,
  handler: (trigger, context) => {
    const { messages, actions } = trigger as { messages: ServiceBusReceivedMessage[]; actions: Record<string, unknown> };
    return worker({ messages, settler: settlerFrom(actions) }, context);
  },
});
