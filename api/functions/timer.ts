/**
 * Timer work in Azure, in one place (the embedded host runs the same tick in its scheduler loop):
 * expired leases back to the queue, "start at" items released, finished passes settled.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { schedulerTick } from '../core/engine/scheduler.js';
import { sealStoredSecretOptions } from '../core/secret-options.js';
import { ensureError } from '../core/errors.js';
import { azureHost, type AzureHost } from './azure-host.js';

export function createSchedulerHandler(host: () => Promise<AzureHost>) {
  let secretsSealed = false;
  return async function scheduler(_timer: Timer, context: InvocationContext): Promise<void> {
    const { engine, queue } = await host();
    const tenants = await engine.store.tenantIds();
    // Client secrets stored in clear by earlier versions move to Key Vault once per instance.
    // A failure must not hold up scheduling; the next tick tries again.
    if (!secretsSealed) {
      try {
        const moved = await sealStoredSecretOptions(engine.store, engine.vault, tenants);
        secretsSealed = true;
        if (moved > 0) context.log(`Moved the client secrets of ${moved} project(s) and item(s) into the vault.`);
      } catch (error) {
        context.error(`Moving client secrets into the vault failed; retrying on the next tick: ${ensureError(error).message}`);
      }
    }
    await schedulerTick(engine, queue, tenants);
    context.log(`Scheduler tick done for ${tenants.length} tenant(s).`);
  };
}

app.timer('scheduler', {
  schedule: '0 */1 * * * *', // every minute: "start at" is honoured to the minute
  handler: createSchedulerHandler(() => azureHost()),
});
