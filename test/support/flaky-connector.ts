/**
 * Wraps a real connector so chosen destination writes fail, to prove the error log and the
 * retry-errors pass. Everything else goes to the real server.
 */
import type { AppendResult, MailConnector, MailboxAccess, MailboxSession, MessageRef, SourceMessage } from '../../api/core/connector.js';
import { ItemRejectedError, ThrottledError } from '../../api/core/errors.js';
import { overrideSession } from './session-overrides.js';

/** `reject`: the chosen messages come back as refused items; `throttle`: the write throws ThrottledError. */
export type FlakyMode = 'reject' | 'throttle';

export class FlakyConnector implements MailConnector {
  failing = true;
  /** Writes attempted through this connector, for asserting that a storm really happened. */
  throttled = 0;

  constructor(
    private readonly inner: MailConnector,
    private readonly shouldFail: (ref: MessageRef, attempt: number) => boolean,
    private readonly mode: FlakyMode = 'reject',
    private readonly backoffMs = 50,
  ) {}

  async open(access: MailboxAccess, signal?: AbortSignal): Promise<MailboxSession> {
    const session = await this.inner.open(access, signal);
    const flaky = this;
    let attempt = 0;
    async function* appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
      for await (const message of messages) {
        attempt++;
        if (flaky.failing && flaky.shouldFail(message.ref, attempt)) {
          if (flaky.mode === 'throttle') {
            flaky.throttled++;
            throw new ThrottledError(`Injected: Server busy. Suggested Backoff Time: ${flaky.backoffMs} milliseconds`, flaky.backoffMs);
          }
          yield { ref: message.ref, error: new ItemRejectedError('Injected failure: the test server refused this message.') };
          continue;
        }
        yield* session.appendMessages(
          path,
          (async function* () {
            yield message;
          })(),
        );
      }
    }
    return overrideSession(session, { appendMessages });
  }
}
