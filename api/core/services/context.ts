import type { MailConnector } from '../connector.js';
import type { EndpointKind } from '../model.js';
import type { Clock, JobQueue, SecretVault, Store } from '../ports.js';

/** What the services need: ports only. Built once by a composition root. */
export interface ServiceDeps {
  store: Store;
  queue: JobQueue;
  vault: SecretVault;
  clock: Clock;
  newId(): string;
  /** The connectors, for checks that talk to mail systems (endpoint validation, discovery). */
  connectorFor(kind: EndpointKind): MailConnector;
  /**
   * Who founds each tenant's Default workgroup as its first Owners (tenant id → Entra object ids),
   * from the deployment's configuration. A tenant without an entry cannot be founded by whoever
   * signs in first. The embedded host's local admin needs none.
   */
  tenantOwners?: TenantOwners;
}

export type TenantOwners = ReadonlyMap<string, readonly string[]>;
