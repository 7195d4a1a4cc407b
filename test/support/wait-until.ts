/**
 * The one way a test waits for something it cannot be told about (a process, a server, another
 * event loop): poll `check` until it holds, and fail loudly, naming what never happened and the
 * last thing seen, when `timeoutMs` passes. A test never sleeps a guessed time instead.
 */

export interface WaitUntilOptions {
  /** Give up after this long (wall clock: the thing waited for runs outside the test's clock). */
  timeoutMs?: number;
  /** Between checks. */
  intervalMs?: number;
  /** Stops waiting (rejecting with the signal's reason) when aborted: for the loser of a race between two waits. */
  signal?: AbortSignal;
}

/** Long enough for a pass on a loaded 2-core machine, short enough that a hang still fails the test. */
export const DEFAULT_WAIT_TIMEOUT_MS = 60_000;
const DEFAULT_INTERVAL_MS = 20;

/**
 * Resolves with the first truthy value `check` returns. `what` says, in the failure, what was
 * awaited ("the worker to copy 3 messages"); `describe`, when given, adds the state last seen.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | Promise<T>,
  options: WaitUntilOptions & { describe?: () => string | Promise<string> } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const seen = options.describe ? ` Last seen: ${await options.describe()}.` : '';
      const thrown = lastError ? ` The last check threw: ${(lastError as Error).message ?? String(lastError)}.` : '';
      throw new Error(`Waited ${timeoutMs} ms for ${what}, in vain.${seen}${thrown}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? DEFAULT_INTERVAL_MS));
  }
}
