/**
 * Runs a producer ahead of its consumer, up to a bound, so reading the source and writing the
 * destination overlap instead of taking turns: without it the writer drains while the next read
 * batch is fetched, and the reader idles while the writer waits for acknowledgements.
 */
export interface ReadAheadLimits {
  maxItems: number;
  maxBytes: number;
}

export async function* readAhead<T>(source: AsyncIterable<T>, sizeOf: (item: T) => number, limits: ReadAheadLimits): AsyncGenerator<T> {
  const buffer: T[] = [];
  let bytes = 0;
  let finished = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer') => {
    const fn = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    fn?.();
  };
  const full = () => buffer.length >= limits.maxItems || bytes >= limits.maxBytes;

  const producer = (async () => {
    try {
      for await (const item of source) {
        buffer.push(item);
        bytes += sizeOf(item);
        wake('consumer');
        while (full() && !stopped) await new Promise<void>((resolve) => (wakeProducer = resolve));
        if (stopped) break;
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake('consumer');
    }
  })();

  try {
    for (;;) {
      if (buffer.length) {
        const item = buffer.shift()!;
        bytes -= sizeOf(item);
        wake('producer');
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true;
    wake('producer');
    await producer;
  }
}
