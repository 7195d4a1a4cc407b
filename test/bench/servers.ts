/**
 * The bench's Dovecots and how we write a corpus into them. The source uses '/' as separator;
 * every measured writer (raw APPEND, Mailferry, mbsync) writes into its own empty mailbox on
 * ONE destination server, so they all meet the same kind of server with the same settings.
 */
import type { MessageRef, SourceMessage } from '../../api/core/connector.js';
import { ImapConnector, type ImapConnectorOptions } from '../../api/connectors/imap/imap-connector.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { userAccess } from '../support/imap-fixtures.js';
import type { Corpus, CorpusMessage } from './corpus.js';

export const SOURCE_SEPARATOR = '/';
export const USERS = { source: 'src', raw: 'raw', mailferry: 'dst', mbsync: 'mbsync', migrate: 'migrate' } as const;
const PASSWORD_SUFFIX = '-bench-pw';

export interface BenchServers {
  source: DovecotServer;
  destination: DovecotServer;
  stop(): Promise<void>;
}

export async function startBenchServers(destSeparator: '/' | '.'): Promise<BenchServers> {
  const users = (names: string[]) => Object.fromEntries(names.map((n) => [n, `${n}${PASSWORD_SUFFIX}`]));
  const [source, destination] = await Promise.all([
    startDovecot({ separator: SOURCE_SEPARATOR, users: users([USERS.source]) }),
    startDovecot({ separator: destSeparator, users: users([USERS.raw, USERS.mailferry, USERS.mbsync, USERS.migrate]) }),
  ]);
  return { source, destination, stop: async () => void (await Promise.all([source.stop(), destination.stop()])) };
}

/** A source folder path ('/'-separated) as the destination names it. */
export function destPath(sourcePath: string, destSeparator: string): string {
  return sourcePath.split(SOURCE_SEPARATOR).join(destSeparator);
}

export interface AppendOutcome {
  messages: number;
  bytes: number;
  seconds: number;
}

/**
 * Writes the corpus, folder by folder, with our pipelined APPEND writer (append-pipeline.ts via
 * the IMAP session): the fast way to fill the source, and measurement (a), the raw write limit.
 * The timed span covers login, folder creation and every APPEND, as a copy would need them.
 */
export async function appendCorpus(
  server: DovecotServer,
  user: string,
  corpus: Corpus,
  options: ImapConnectorOptions = {},
): Promise<AppendOutcome> {
  const started = performance.now();
  const session = await new ImapConnector(options).open(userAccess(server, user));
  let messages = 0;
  let bytes = 0;
  try {
    for (const [folder, items] of corpus.byFolder) {
      const segments = folder.split(SOURCE_SEPARATOR);
      const { path } = await session.ensureFolder(segments);
      for await (const result of session.appendMessages(path, asSourceMessages(items))) {
        if (result.error) throw new Error(`APPEND to ${user}/${path} refused message ${result.ref.uid}: ${result.error.message}`);
        messages++;
        bytes += result.ref.size;
      }
    }
  } finally {
    await session.close();
  }
  return { messages, bytes, seconds: (performance.now() - started) / 1000 };
}

async function* asSourceMessages(items: CorpusMessage[]): AsyncGenerator<SourceMessage> {
  for (const m of items) {
    const ref: MessageRef = {
      key: `bench:${m.index}`,
      uid: m.index + 1,
      size: m.raw.length,
      internalDate: m.internalDate,
      flags: m.flags,
      itemType: 'mail',
    };
    yield { ref, content: m.raw };
  }
}
