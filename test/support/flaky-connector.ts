/**
 * Wraps a real connector so chosen destination writes fail, to prove the error log and the
 * retry-errors pass. Everything else goes to the real server.
 */
import type { AppendResult, MailConnector, MailboxAccess, MailboxSession, MessageRef, SourceMessage } from '../../api/core/connector.js';
import { ItemRejectedError } from '../../api/core/errors.js';

export class FlakyConnector implements MailConnector {
  failing = true;

  constructor(
    private readonly inner: MailConnector,
    private readonly shouldFail: (ref: MessageRef) => boolean,
  ) {}

  async open(access: MailboxAccess, signal?: AbortSignal): Promise<MailboxSession> {
    const session = await this.inner.open(access, signal);
    const flaky = this;
    async function* appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
      for await (const message of messages) {
        if (flaky.failing && flaky.shouldFail(message.ref)) {
          yield { ref: message.ref, error: new ItemRejectedError('Injected failure: the test server refused this message.') };
          continue;
        }
        yield* session.appendMessages(path, (async function* () { yield message; })());
      }
    }
    return new Proxy(session, {
      get(target, prop, receiver) {
        if (prop === 'appendMessages') return appendMessages;
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}
