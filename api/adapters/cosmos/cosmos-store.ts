/**
 * The Azure Store: the collections, the ledger, the error log and the sync cursors in one Cosmos DB
 * database, through the @azure/cosmos SDK. Containers and partition keys: cosmos-layout.ts.
 */
import { CosmosClient, type CosmosClientOptions, type Database } from '@azure/cosmos';
import { ValidationError } from '../../core/errors.js';
import type { Endpoint, GroupSlots, Item, Pass, Project, Workgroup } from '../../core/model.js';
import type { Store } from '../../core/ports.js';
import { queryAll } from './cosmos-batch.js';
import { CosmosCollection } from './cosmos-collection.js';
import { CosmosErrorLog } from './cosmos-error-log.js';
import { ensureContainers, type CollectionName } from './cosmos-layout.js';
import { CosmosLedger } from './cosmos-ledger.js';
import { CosmosSyncCursors } from './cosmos-sync-cursors.js';

export interface CosmosStoreOptions {
  /** e.g. `https://<account>.documents.azure.com:443/`. */
  endpoint: string;
  /** Account key. Never logged; with `clientOptions.aadCredentials` (managed identity) leave it out. */
  key?: string;
  databaseId: string;
  /** Shared RU/s for the database when it is created; leave out on serverless accounts. */
  databaseThroughput?: number;
  /** Anything else for the SDK client: agent, connection policy, Entra ID credentials, user agent. */
  clientOptions?: Partial<CosmosClientOptions>;
}

export class CosmosStore implements Store {
  readonly projects: CosmosCollection<Project>;
  readonly endpoints: CosmosCollection<Endpoint>;
  readonly items: CosmosCollection<Item>;
  readonly passes: CosmosCollection<Pass>;
  readonly workgroups: CosmosCollection<Workgroup>;
  readonly groupSlots: CosmosCollection<GroupSlots>;
  readonly ledger: CosmosLedger;
  readonly errors: CosmosErrorLog;
  readonly cursors: CosmosSyncCursors;

  /** Use `open`: it creates the database and containers the store needs. */
  private constructor(
    private readonly client: CosmosClient,
    readonly database: Database,
  ) {
    const collection = <T extends Project | Endpoint | Item | Pass | Workgroup | GroupSlots>(name: CollectionName) =>
      new CosmosCollection<T>(database.container(name), name);
    this.projects = collection<Project>('projects');
    this.endpoints = collection<Endpoint>('endpoints');
    this.items = collection<Item>('items');
    this.passes = collection<Pass>('passes');
    this.workgroups = collection<Workgroup>('workgroups');
    this.groupSlots = collection<GroupSlots>('groupSlots');
    this.ledger = new CosmosLedger(database.container('ledger'));
    this.errors = new CosmosErrorLog(database.container('errors'));
    this.cursors = new CosmosSyncCursors(database.container('cursors'));
  }

  /** Creates the database and containers if missing (idempotent: safe on every cold start). */
  static async open(options: CosmosStoreOptions): Promise<CosmosStore> {
    if (!options.endpoint) throw new ValidationError('Set the Cosmos DB endpoint.', { field: 'endpoint' });
    if (!options.databaseId) throw new ValidationError('Set the Cosmos DB database id.', { field: 'databaseId' });
    if (!options.key && !options.clientOptions?.aadCredentials) {
      throw new ValidationError('Set the Cosmos DB account key or Entra ID credentials.', { field: 'key' });
    }
    const client = new CosmosClient({ ...options.clientOptions, endpoint: options.endpoint, key: options.key });
    try {
      const { database } = await client.databases.createIfNotExists({
        id: options.databaseId,
        ...(options.databaseThroughput === undefined ? {} : { throughput: options.databaseThroughput }),
      });
      await ensureContainers(database);
      return new CosmosStore(client, database);
    } catch (error) {
      client.dispose();
      throw error;
    }
  }

  /**
   * Every project's tenant, deduplicated here: the emulator's query parser has no DISTINCT, and
   * a timer reads this once per tick over a few thousand projects at most. Cross-partition by
   * nature; never called for a request.
   */
  async tenantIds(): Promise<string[]> {
    const tenants = await queryAll<string>(this.database.container('projects'), 'SELECT VALUE c.tenantId FROM c', [], undefined);
    return [...new Set(tenants)].sort();
  }

  async close(): Promise<void> {
    this.client.dispose();
  }
}
