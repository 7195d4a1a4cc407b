/**
 * The local Cosmos-API emulator (@vercel/cosmosdb-server) on a free loopback port, and SDK
 * client options that reach it: its certificate is self-signed and it has no regional
 * endpoints to discover. A request log (an SDK plugin) lets tests see what went over the wire.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CosmosClientOptions, RequestContext } from '@azure/cosmos';
import { createHttpsServer } from '@vercel/cosmosdb-server';

/** The emulator accepts any key; a real one never appears in tests. */
export const EMULATOR_KEY = 'emulator-accepts-any-key';

export interface CosmosEmulator {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startCosmosEmulator(): Promise<CosmosEmulator> {
  const server = createHttpsServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RecordedRequest {
  method: string;
  operationType?: string;
  path?: string;
  /** The `x-ms-documentdb-partitionkey` header, e.g. `["tenant-a"]`. */
  partitionKey?: string;
  status?: number;
}

/**
 * Hook run before a request goes out; `plugins` is a hidden SDK option (PluginConfig), used here
 * to count requests and to slip a competing write in between a read and a conditional replace.
 */
export type BeforeRequest = (request: RecordedRequest) => Promise<void>;

export function emulatorClientOptions(log?: RecordedRequest[], before?: BeforeRequest): Partial<CosmosClientOptions> {
  const plugin = async (context: RequestContext, _diagnostics: unknown, next: (context: RequestContext) => Promise<unknown>) => {
    const headers = (context.headers ?? {}) as Record<string, unknown>;
    const request: RecordedRequest = {
      method: context.method,
      operationType: context.operationType,
      path: context.path,
      partitionKey: typeof headers['x-ms-documentdb-partitionkey'] === 'string' ? headers['x-ms-documentdb-partitionkey'] : undefined,
    };
    log?.push(request);
    await before?.(request);
    try {
      const response = (await next(context)) as { code?: number };
      request.status = response.code;
      return response;
    } catch (error) {
      request.status = (error as { code?: number }).code;
      throw error;
    }
  };
  return {
    agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }),
    connectionPolicy: { enableEndpointDiscovery: false },
    plugins: [{ on: 'request', plugin }],
  } as Partial<CosmosClientOptions>;
}
