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
}
