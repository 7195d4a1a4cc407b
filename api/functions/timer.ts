/**
 * Timer work in Azure, in one place (the embedded host runs the same tick in its scheduler loop):
 * expired leases back to the queue, "start at" items released, finished passes settled.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { schedulerTick } from '../core/engine/scheduler.js';
import { azureHost, type AzureHost } from './azure-host.js';

export function createSchedulerHandler(host: () => Promise<AzureHost>) {
  return async function scheduler(_timer: Timer, context: InvocationContext): Promise<void> {
    const { engine, queue } = await host();
    const tenants = await engine.store.tenantIds();
    await schedulerTick(engine, queue, tenants);
    context.log(`Scheduler tick done for ${tenants.length} tenant(s).`);
  };
}

app.timer('scheduler', {
  schedule: '0 */1 * * * *', // every minute: "start at" is honoured to the minute
  handler: createSchedulerHandler(() => azureHost()),
});
