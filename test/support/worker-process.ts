/**
 * A worker in its own process, for crash tests: `node --import tsx worker-process.ts DATA_DIR`.
 * It runs the embedded runtime's workers on the given data directory until killed. With
 * MAILFERRY_TEST_GATE_AFTER_COPIES set (copy-gate.ts), every connector is wrapped so the process
 * holds after that many confirmed destination writes and prints a line: the parent kills it there.
 */
import { EwsConnector } from '../../api/connectors/ews/ews-connector.js';
import { GraphConnector } from '../../api/connectors/graph/index.js';
import { ImapConnector } from '../../api/connectors/imap/imap-connector.js';
import type { ConnectorOverrides } from '../../api/connectors/registry.js';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { CopyGate } from './copy-gate.js';
import { silentLog } from './migration-fixture.js';

const WORKER_LOCK_MS = 3_000;

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: worker-process.ts DATA_DIR');
// Graph tests point msal at the Graph test server's token endpoint (trusted through NODE_EXTRA_CA_CERTS).
const graphAuthority = process.env.MAILFERRY_TEST_GRAPH_AUTHORITY_HOST;
const graph = graphAuthority ? new GraphConnector({ modernAuth: { authorityHost: graphAuthority } }) : undefined;
const gate = CopyGate.fromEnv();
const connectors: ConnectorOverrides = gate
  ? (() => {
      const ews = gate.wrap(new EwsConnector());
      return {
        imap: gate.wrap(new ImapConnector()),
        exchange: ews,
        m365: ews,
        'm365-group': ews,
        graph: gate.wrap(graph ?? new GraphConnector()),
      };
    })()
  : graph
    ? { graph }
    : {};
const runtime = await EmbeddedRuntime.open({
  dataDir,
  connectors,
  concurrency: 2,
  lockMs: WORKER_LOCK_MS,
  pollMs: 50,
  log: silentLog,
  retry: { maxInlineWaitMs: 5_000, maxReconnects: 5, reconnectBaseMs: 200 },
});
runtime.startWorkers();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void runtime.close().then(() => process.exit(0)));
