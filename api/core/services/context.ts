import type { Clock, JobQueue, SecretVault, Store } from '../ports.js';

/** What the services need: ports only. Built once by a composition root. */
export interface ServiceDeps {
  store: Store;
  queue: JobQueue;
  vault: SecretVault;
  clock: Clock;
  newId(): string;
}
