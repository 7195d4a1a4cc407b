/**
 * The Azure scheduler moves client secrets an earlier version stored in clear into the vault, once
 * per instance, and a vault failure does not hold up scheduling (issue 10, finding 6).
 */
import { InvocationContext, type Timer } from '@azure/functions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SecretVault } from '../../api/core/ports.js';
import type { AzureHost } from '../../api/functions/azure-host.js';
import { createSchedulerHandler } from '../../api/functions/timer.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { makeTempDir, type TempDir } from '../adapters/temp-dir.js';
import { silentLog } from '../support/migration-fixture.js';

const CLEAR = ['ModernAuthClientIdExport=0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', 'ModernAuthClientSecretExport=clear-from-an-old-version'];

describe('the Azure scheduler', () => {
  let dir: TempDir;
  let runtime: EmbeddedRuntime;
  let projectId: string;

  beforeEach(async () => {
    dir = makeTempDir();
    runtime = await EmbeddedRuntime.open({ dataDir: dir.path, log: silentLog });
    const s = runtime.services;
    const endpoint = await s.projects.createEndpoint(LOCAL_TENANT, {
      name: 'E',
      kind: 'imap',
      host: '127.0.0.1',
      port: 1,
      security: 'none',
      allowSelfSigned: false,
      adminMode: 'none',
      authMechanism: 'password',
      domains: [],
    });
    const project = await s.projects.createProject(LOCAL_TENANT, {
      name: 'Old',
      sourceEndpointId: endpoint.id,
      destinationEndpointId: endpoint.id,
      options: [],
      maxConcurrentMigrations: 1,
    });
    projectId = project.id;
    await runtime.store.projects.replace({ ...(await s.projects.getProject(LOCAL_TENANT, projectId)), options: CLEAR });
  });
  afterEach(async () => {
    await runtime.close();
    dir.remove();
  });

  const tick = (handler: ReturnType<typeof createSchedulerHandler>, logged: string[] = []) =>
    handler(
      { isPastDue: false } as Timer,
      new InvocationContext({ functionName: 'scheduler', logHandler: (_level, ...args) => void logged.push(args.map(String).join(' ')) }),
    );

  it('moves clear client secrets into the vault', async () => {
    // The scheduler uses the engine and the queue only.
    const host = { engine: runtime.engine, queue: runtime.queue } as unknown as AzureHost;
    await tick(createSchedulerHandler(async () => host));
    expect((await runtime.services.projects.getProject(LOCAL_TENANT, projectId)).options[1]).toMatch(
      /^ModernAuthClientSecretExport=vault:/,
    );
  });

  it('keeps scheduling when the vault fails, and tries again on the next tick', async () => {
    let down = true;
    const real = runtime.engine.vault;
    const vault: SecretVault = {
      put: (tenantId, value) => (down ? Promise.reject(new Error('vault unreachable')) : real.put(tenantId, value)),
      get: (tenantId, ref) => real.get(tenantId, ref),
      delete: (tenantId, ref) => real.delete(tenantId, ref),
    };
    const handler = createSchedulerHandler(
      async () => ({ engine: { ...runtime.engine, vault }, queue: runtime.queue }) as unknown as AzureHost,
    );
    const logged: string[] = [];
    await tick(handler, logged);
    expect(logged.join('\n')).toMatch(/retrying on the next tick: vault unreachable/);
    expect(logged.join('\n')).toMatch(/Scheduler tick done/);
    down = false;
    await tick(handler);
    expect((await runtime.services.projects.getProject(LOCAL_TENANT, projectId)).options[1]).toMatch(
      /^ModernAuthClientSecretExport=vault:/,
    );
  });
});
