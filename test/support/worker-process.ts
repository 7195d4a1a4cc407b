/**
 * A worker in its own process, for crash tests: `node --import tsx worker-process.ts DATA_DIR`.
 * It runs the embedded runtime's workers on the given data directory until killed.
 */
import { GraphConnector } from '../../api/connectors/graph/index.js';
import { EmbeddedRuntime } from '../../api/local/embedded-runtime.js';
import { silentLog } from './migration-fixture.js';

const WORKER_LOCK_MS = 3_000;

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: worker-process.ts DATA_DIR');
// Graph tests point msal at the Graph test server's token endpoint (trusted through NODE_EXTRA_CA_CERTS).
const graphAuthority = process.env.MAILFERRY_TEST_GRAPH_AUTHORITY_HOST;
const runtime = await EmbeddedRuntime.open({
  dataDir, ...(graphAuthority ? { connectors: { graph: new GraphConnector({ modernAuth: { authorityHost: graphAuthority } }) } } : {}), concurrency: 2, lockMs: WORKER_LOCK_MS, pollMs: 50, log: silentLog,
  retry: { maxInlineWaitMs: 5_000, maxReconnects: 5, reconnectBaseMs: 200 },
});
runtime.startWorkers();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void runtime.close().then(() => process.exit(0)));
