/**
 * A MailConnector wrapper for profiling (BENCH_TRACE=1): it adds up where the copy loop waits.
 * The engine's loop is `for await (result of dest.appendMessages(path, feed()))` and feed()
 * pulls from source.readMessages, so:
 *   - readMs:   time inside the source read iterator (the writer has nothing new to send);
 *   - appendMs: time the engine waits for the next append result; it INCLUDES readMs, because
 *               the pipeline pulls the next message from feed() while producing results;
 *   - the rest of the pass is the engine's own time (ledger commits, checkpoints, planning).
 */
import type {
  AppendResult,
  DestinationEntry,
  DestinationFolderState,
  FolderInfo,
  ListMessagesFilter,
  MailboxAccess,
  MailConnector,
  MailboxSession,
  MessageRef,
  SourceMessage,
} from '../../api/core/connector.js';

export interface SideTimes {
  openMs: number;
  listFoldersMs: number;
  listMessagesMs: number;
  ensureFolderMs: number;
  readMs: number;
  appendMs: number;
  /** appendMs - readMs: waiting on the destination (window full, socket writes, responses). */
  writeOnlyMs: number;
}

export class TimingConnector implements MailConnector {
  private times = zero();

  constructor(private readonly inner: MailConnector) {}

  reset(): void {
    this.times = zero();
  }

  snapshot(): SideTimes {
    return { ...this.times, writeOnlyMs: this.times.appendMs - this.times.readMs };
  }

  async open(access: MailboxAccess, signal?: AbortSignal): Promise<MailboxSession> {
    const started = performance.now();
    const session = await this.inner.open(access, signal);
    this.times.openMs += performance.now() - started;
    return new TimingSession(session, this.times);
  }
}

type Totals = Omit<SideTimes, 'writeOnlyMs'>;

function zero(): Totals {
  return { openMs: 0, listFoldersMs: 0, listMessagesMs: 0, ensureFolderMs: 0, readMs: 0, appendMs: 0 };
}

class TimingSession implements MailboxSession {
  readonly kind: MailboxSession['kind'];
  readonly accepts?: MailboxSession['accepts'];
  readonly commitEachWrite?: boolean;
  // The optional members the inner session has, and only those (the engine asks whether they exist):
  // without them a traced pass listed every folder in full and never carried flag changes.
  listChanges?: MailboxSession['listChanges'];
  readFlags?: MailboxSession['readFlags'];
  updateFlags?: MailboxSession['updateFlags'];
  markRecovered?: MailboxSession['markRecovered'];
  markOf?: MailboxSession['markOf'];
  exportSettings?: MailboxSession['exportSettings'];
  importSettings?: MailboxSession['importSettings'];

  constructor(
    private readonly inner: MailboxSession,
    private readonly times: Totals,
  ) {
    this.kind = inner.kind;
    this.accepts = inner.accepts;
    this.commitEachWrite = inner.commitEachWrite;
    const listChanges = inner.listChanges?.bind(inner);
    if (listChanges) this.listChanges = (folder, since) => this.timed('listMessagesMs', () => listChanges(folder, since));
    this.readFlags = inner.readFlags?.bind(inner);
    this.updateFlags = inner.updateFlags?.bind(inner);
    this.markRecovered = inner.markRecovered?.bind(inner);
    this.markOf = inner.markOf?.bind(inner);
    this.exportSettings = inner.exportSettings?.bind(inner);
    this.importSettings = inner.importSettings?.bind(inner);
  }

  listFolders(): Promise<FolderInfo[]> {
    return this.timed('listFoldersMs', () => this.inner.listFolders());
  }

  listMessages(folder: FolderInfo, filter?: ListMessagesFilter): Promise<MessageRef[]> {
    return this.timed('listMessagesMs', () => this.inner.listMessages(folder, filter));
  }

  readMessages(
    folder: FolderInfo,
    refs: MessageRef[],
    options?: Parameters<MailboxSession['readMessages']>[2],
  ): AsyncIterable<SourceMessage | { ref: MessageRef; error: Error }> {
    return timeIterable(this.inner.readMessages(folder, refs, options), (ms) => (this.times.readMs += ms));
  }

  ensureFolder(
    segments: string[],
    itemType?: Parameters<MailboxSession['ensureFolder']>[1],
  ): Promise<{ path: string; state: DestinationFolderState }> {
    return this.timed('ensureFolderMs', () => this.inner.ensureFolder(segments, itemType));
  }

  folderState(path: string): Promise<DestinationFolderState> {
    return this.inner.folderState(path);
  }

  appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
    return timeIterable(this.inner.appendMessages(path, messages), (ms) => (this.times.appendMs += ms));
  }

  listRange(path: string, fromUid: number): Promise<DestinationEntry[]> {
    return this.inner.listRange(path, fromUid);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async timed<T>(field: keyof Totals, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.times[field] += performance.now() - started;
    }
  }
}

async function* timeIterable<T>(iterable: AsyncIterable<T>, add: (ms: number) => void): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  try {
    for (;;) {
      const started = performance.now();
      const step = await iterator.next();
      add(performance.now() - started);
      if (step.done) return;
      yield step.value;
    }
  } finally {
    await iterator.return?.();
  }
}
