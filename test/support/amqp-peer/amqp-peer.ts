/**
 * An AMQP 1.0 peer, built on rhea, that the real @azure/service-bus SDK talks to through a
 * connection string ending `;UseDevelopmentEmulator=true` (plain AMQP over TCP). It exists
 * because no Service Bus emulator runs here; it implements what ServiceBusJobQueue relies on,
 * read from the SDK 7.9.5 source, and nothing more.
 *
 * What the peer implements (and the conformance suite therefore proves through the real SDK):
 * - SASL ANONYMOUS and PLAIN (the SDK offers ANONYMOUS when the key name has no password).
 * - `$cbs` put-token: every token is accepted with status-code 202; nothing is verified.
 * - Sender links to a queue: messages are accepted into the queue; `message_id` duplicate
 *   detection within a window (default 10 minutes), settled or not, like Service Bus.
 * - Receiver links in peek-lock (rcv-settle-mode second): each delivery carries the lock token
 *   as its delivery tag (GUID bytes in .NET order, as Service Bus sends them) and in
 *   `x-opt-lock-token`, `x-opt-locked-until`, `x-opt-sequence-number`, `x-opt-enqueued-time`,
 *   and the header delivery-count (prior deliveries, 0 on the first). Link credit and drain.
 * - Settlement: accepted = complete; released / modified (not undeliverable-here) = abandon,
 *   which counts a delivery (Service Bus counts every abandon; the SDK never sends
 *   delivery-failed) and applies the properties to modify; rejected with
 *   `com.microsoft:dead-letter` = dead-letter into `<queue>/$DeadLetterQueue` with
 *   DeadLetterReason / DeadLetterErrorDescription and the other properties as application
 *   properties. Settling through a lost lock answers `com.microsoft:message-lock-lost`.
 * - Lock expiry: an unsettled delivery whose lock expires is available again with its delivery
 *   count + 1; at MaxDeliveryCount it is dead-lettered (reason MaxDeliveryCountExceeded).
 * - Scheduled messages (`x-opt-scheduled-enqueue-time` on a send, or schedule-message) are not
 *   delivered before their time; cancel-scheduled-message removes them.
 * - `$management`: com.microsoft:renew-lock, schedule-message, cancel-scheduled-message and
 *   peek-message (on the queue, including scheduled and locked messages, and on its dead-letter
 *   sub-queue).
 * - Time: every decision reads an injectable clock (a TestClock in tests), evaluated lazily on
 *   each operation; a short real-time pump re-offers messages to receivers holding credit.
 *
 * What only real Service Bus can prove (the peer does not model it):
 * - Authentication and authorisation: SAS signatures, Entra ID tokens, token expiry and renewal,
 *   namespace/entity rights; TLS on 5671; AMQP over WebSockets.
 * - Sessions and session state, partitioned entities, premium messaging units, geo-DR and
 *   geo-replication, transactions (send-via), auto-forwarding, message TTL and expiry to the
 *   dead-letter queue, deferral (receive-deferred), receive-and-delete, topics/subscriptions.
 * - Exact lock timing and clock skew between broker and client; lock renewal limits. The header
 *   delivery-count follows the AMQP spec (prior deliveries, 0 on the first), which is what the
 *   broker is reported to send (Azure/azure-sdk-for-java#11845: "service bus puts (delivery
 *   count - 1) on the AMQP frame"); JS SDK 7.9.5 passes it through unchanged as deliveryCount;
 *   exact ordering under load and across partitions; duplicate detection for scheduled messages.
 * - Quotas, throttling (ServerBusy), message size limits, link and connection idle timeouts,
 *   redirects, detach/reconnect behaviour, and the HTTP administration API (runtime counts).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import rhea, { type Connection, type Delivery, type EventContext, type Message, type Sender } from 'rhea';
import { answerManagementRequest } from './peer-management.js';
import { PeerQueue, type PeerClock, type PeerQueueOptions, type Settlement } from './peer-queue.js';
import { lockTokenToDeliveryTag, reply, scheduledTime, withBrokerAnnotations } from './peer-wire.js';

const CBS_ADDRESS = '$cbs';
const MANAGEMENT_SUFFIX = '/$management';
const DEAD_LETTER_SUFFIX = '/$DeadLetterQueue';
const DEAD_LETTER_CONDITION = 'com.microsoft:dead-letter';
const LOCK_LOST_CONDITION = 'com.microsoft:message-lock-lost';
/** CBS answers "Accepted" to put-token, as Service Bus does. */
const CBS_ACCEPTED = 202;
/** How often receivers holding credit are re-offered messages whose schedule came due. */
const PUMP_INTERVAL_MS = 20;
/** Placeholder credentials: the peer accepts any token; these are not secrets. */
const KEY_NAME = 'RootManageSharedAccessKey';
const KEY_VALUE = 'amqp-peer-test-key';

export interface AmqpPeerOptions {
  clock?: PeerClock;
  /** Queues the peer hosts, by name; attaching to any other entity fails with amqp:not-found. */
  queues: Record<string, PeerQueueOptions>;
}

interface Entity {
  queue: PeerQueue;
  deadLetters: boolean;
  management: boolean;
}

/** rhea outcome constructors exist at runtime but are missing from its typings. */
const outcomes = rhea.message as unknown as {
  accepted(): { described(): unknown };
  rejected(fields: { error: { condition: string; description: string } }): { described(): unknown };
};

export class AmqpPeer {
  private readonly queues = new Map<string, PeerQueue>();
  private readonly lockTokens = new WeakMap<Delivery, string>();
  private readonly consumers = new Set<Sender>();
  private readonly connections = new Set<Connection>();
  private sequenceNumber = 0;
  private pump?: NodeJS.Timeout;

  private constructor(
    private readonly server: ReturnType<typeof rhea.listen>,
    readonly port: number,
  ) {}

  static async start(options: AmqpPeerOptions): Promise<AmqpPeer> {
    const container = rhea.create_container({ id: 'mailferry-amqp-peer', treat_modified_as_released: false } as never);
    container.sasl_server_mechanisms.enable_anonymous();
    container.sasl_server_mechanisms.enable_plain(() => true);
    const server = container.listen({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    const peer = new AmqpPeer(server, (server.address() as AddressInfo).port);
    const clock = options.clock ?? { now: () => new Date() };
    for (const [name, queueOptions] of Object.entries(options.queues)) {
      peer.queues.set(name, new PeerQueue(name, clock, () => (peer.sequenceNumber += 1), queueOptions));
    }
    peer.listen(container);
    peer.pump = setInterval(() => peer.offerAll(), PUMP_INTERVAL_MS);
    peer.pump.unref();
    return peer;
  }

  /** A connection string the SDK accepts; the key is a placeholder the peer never checks. */
  get connectionString(): string {
    return `Endpoint=sb://127.0.0.1:${this.port};SharedAccessKeyName=${KEY_NAME};SharedAccessKey=${KEY_VALUE};UseDevelopmentEmulator=true`;
  }

  queue(name: string): PeerQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`The peer hosts no queue named ${name}.`);
    return queue;
  }

  async close(): Promise<void> {
    clearInterval(this.pump);
    for (const connection of this.connections) connection.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(container: ReturnType<typeof rhea.create_container>): void {
    container.on('connection_open', (context: EventContext) => this.connections.add(context.connection));
    container.on('disconnected', (context: EventContext) => this.connections.delete(context.connection));
    container.on('error', () => undefined);
    container.on('receiver_open', (context: EventContext) => this.onIncomingLink(context));
    container.on('sender_open', (context: EventContext) => this.onOutgoingLink(context));
    container.on('message', (context: EventContext) => this.onMessage(context));
    container.on('sendable', (context: EventContext) => this.offer(context.sender!));
    container.on('sender_draining', (context: EventContext) => {
      this.offer(context.sender!);
      context.sender!.set_drained(true);
    });
    container.on('sender_close', (context: EventContext) => this.consumers.delete(context.sender!));
    for (const outcome of ['accepted', 'released', 'modified', 'rejected'] as const) {
      container.on(outcome, (context: EventContext) => this.onSettle(context.delivery!));
    }
  }

  /** A client sender (or the sending half of a request/response pair) attached to us. */
  private onIncomingLink(context: EventContext): void {
    const receiver = context.receiver!;
    const address = receiver.target?.address ?? '';
    receiver.set_target({ address });
    if (address !== CBS_ADDRESS && !this.entity(address)) {
      receiver.close({ condition: 'amqp:not-found', description: `The messaging entity '${address}' could not be found.` });
    }
  }

  /** A client receiver attached to us: a queue consumer, or the reply half of a request/response pair. */
  private onOutgoingLink(context: EventContext): void {
    const sender = context.sender!;
    const address = sender.source?.address ?? '';
    sender.set_source({ address });
    const entity = this.entity(address);
    if (address === CBS_ADDRESS || entity?.management) return;
    if (!entity || entity.deadLetters) {
      sender.close({ condition: 'amqp:not-found', description: `The test peer cannot receive from '${address}'.` });
      return;
    }
    this.consumers.add(sender);
  }

  private onMessage(context: EventContext): void {
    const address = context.receiver!.target?.address ?? '';
    const message = context.message!;
    if (address === CBS_ADDRESS) {
      this.respond(context.connection, message, reply(message, CBS_ACCEPTED, undefined));
      return;
    }
    const entity = this.entity(address)!;
    if (entity.management) {
      this.respond(context.connection, message, answerManagementRequest(entity.queue, entity.deadLetters, message));
    } else {
      entity.queue.enqueue(message, scheduledTime(message));
    }
    this.offerAll();
  }

  /** Replies go out on the client's receiver link named after the request's reply-to address. */
  private respond(connection: Connection, request: Message, response: Message): void {
    const replyLink = connection.find_sender((sender: Sender) => sender.name === request.reply_to);
    replyLink?.send(response);
  }

  private onSettle(delivery: Delivery): void {
    // Replies on request/response links are settled too; only queue deliveries carry a lock.
    const lockToken = this.lockTokens.get(delivery);
    if (!lockToken) return;
    const queue = this.queue((delivery.link as Sender).source?.address ?? '');
    const settlement = toSettlement(delivery.remote_state);
    const error =
      settlement.kind === 'defer'
        ? { condition: 'amqp:not-implemented', description: 'The test peer does not implement deferral.' }
        : { condition: LOCK_LOST_CONDITION, description: `The lock on message ${lockToken} was lost.` };
    const settled = settlement.kind !== 'defer' && queue.settle(lockToken, settlement);
    delivery.update(true, settled ? outcomes.accepted().described() : outcomes.rejected({ error }).described());
    this.lockTokens.delete(delivery);
    this.offerAll();
  }

  private offerAll(): void {
    for (const sender of this.consumers) this.offer(sender);
  }

  /** Locks and delivers messages while the consumer has credit. */
  private offer(sender: Sender): void {
    if (!this.consumers.has(sender)) return;
    const queue = this.queue(sender.source?.address ?? '');
    while (sender.sendable()) {
      const message = queue.lockNext();
      if (!message) return;
      const delivery = sender.send(withBrokerAnnotations(message), lockTokenToDeliveryTag(message.lockToken!));
      this.lockTokens.set(delivery, message.lockToken!);
    }
  }

  private entity(address: string): Entity | undefined {
    const management = address.endsWith(MANAGEMENT_SUFFIX);
    const path = management ? address.slice(0, -MANAGEMENT_SUFFIX.length) : address;
    const deadLetters = path.endsWith(DEAD_LETTER_SUFFIX);
    const queue = this.queues.get(deadLetters ? path.slice(0, -DEAD_LETTER_SUFFIX.length) : path);
    return queue && { queue, deadLetters, management };
  }
}

/** What the client's disposition asks for, in Service Bus terms. */
function toSettlement(state: unknown): Settlement {
  const outcome = state as { constructor: { composite_type?: string }; error?: { condition?: string; info?: unknown } };
  const kind = outcome?.constructor?.composite_type;
  if (kind === 'rejected') {
    // The SDK dead-letters with condition com.microsoft:dead-letter and the properties in `info`.
    const info = outcome.error?.condition === DEAD_LETTER_CONDITION ? outcome.error.info : undefined;
    return { kind: 'dead-letter', properties: { ...((info as Record<string, unknown> | undefined) ?? {}) } };
  }
  const modified = state as { undeliverable_here?: boolean; message_annotations?: Record<string, unknown> };
  if (kind === 'modified' && modified.undeliverable_here) return { kind: 'defer' };
  if (kind === 'modified' || kind === 'released') {
    return { kind: 'abandon', propertiesToModify: modified.message_annotations };
  }
  return { kind: 'complete' };
}
