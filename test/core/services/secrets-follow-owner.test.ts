/**
 * Secrets go with what they belong to (issue 10, finding 7): deleting an item, a project or an
 * endpoint, or replacing a webhook URL, a password or a client secret, deletes the vault secrets
 * it held. The vault is the Key Vault adapter over a stand-in with Key Vault's soft delete and
 * purge, so "gone" means purged, not merely hidden.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyVaultSecretVault } from '../../../api/adapters/key-vault/key-vault-secret-vault.js';
import { parseInput, projectPatch } from '../../../api/core/schemas.js';
import { createMailferry } from '../../../api/core/app/create-mailferry.js';
import type { Mailferry } from '../../../api/core/app/mailferry.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../../api/local/embedded-runtime.js';
import { makeTempDir, type TempDir } from '../../adapters/temp-dir.js';
import { InMemoryKeyVault } from '../../support/in-memory-key-vault.js';
import { silentLog } from '../../support/migration-fixture.js';

const CLIENT = 'ModernAuthClientIdExport=0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const WEBHOOK = 'https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=first';

describe('vault secrets follow their owner', () => {
  let dir: TempDir;
  let runtime: EmbeddedRuntime;
  let keyVault: InMemoryKeyVault;
  let s: Mailferry;

  beforeEach(async () => {
    dir = makeTempDir();
    runtime = await EmbeddedRuntime.open({ dataDir: dir.path, log: silentLog });
    keyVault = new InMemoryKeyVault();
    s = createMailferry({ ...runtime.services.ports, vault: new KeyVaultSecretVault(keyVault) });
  });
  afterEach(async () => {
    await runtime.close();
    dir.remove();
  });

  async function project() {
    const endpoint = (name: string) =>
      s.projects.createEndpoint(LOCAL_TENANT, {
        name,
        kind: 'm365',
        host: '',
        cloud: 'commercial',
        security: 'tls',
        allowSelfSigned: false,
        adminMode: 'impersonation',
        adminLogin: 'admin@contoso.com',
        adminPassword: `${name}-admin-pw`,
        authMechanism: 'oauth-app',
        appClientId: '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
        appTenantId: 'contoso.onmicrosoft.com',
        appClientSecret: `${name}-app-secret`,
        domains: [],
      } as Parameters<Mailferry['projects']['createEndpoint']>[1]);
    const [src, dst] = [await endpoint('src'), await endpoint('dst')];
    const created = await s.projects.createProject(LOCAL_TENANT, {
      name: 'Secrets',
      sourceEndpointId: src.id,
      destinationEndpointId: dst.id,
      teamsWebhookUrl: WEBHOOK,
      options: [CLIENT, 'ModernAuthClientSecretExport=project-option-secret'],
      maxConcurrentMigrations: 2,
    });
    const item = await s.items.addItem(LOCAL_TENANT, created.id, {
      sourceAddress: 'a@src.test',
      destinationAddress: 'a@dst.test',
      sourceLogin: 'a',
      sourcePassword: 'a-src-pw',
      destinationPassword: 'a-dst-pw',
      endUserCredentials: false,
      options: ['ModernAuthClientSecretImport=item-option-secret'],
    });
    return { src, dst, project: created, item };
  }

  it("deletes an item's passwords and client secrets with the item", async () => {
    const { item } = await project();
    const before = keyVault.held;
    await s.items.deleteItem(LOCAL_TENANT, item.id);
    expect(before - keyVault.held).toBe(3);
  });

  it("deletes everything a project and its items held with the project, then the endpoints' with the endpoints", async () => {
    const { src, dst, project: created } = await project();
    await s.items.addItem(LOCAL_TENANT, created.id, {
      sourceAddress: 'b@src.test',
      destinationAddress: 'b@dst.test',
      sourcePassword: 'b-pw',
      endUserCredentials: false,
      options: [],
    });
    expect(keyVault.held).toBe(4 + 2 + 3 + 1);
    await s.projects.deleteProject(LOCAL_TENANT, created.id);
    expect(keyVault.held).toBe(4);
    await s.projects.deleteEndpoint(LOCAL_TENANT, src.id);
    await s.projects.deleteEndpoint(LOCAL_TENANT, dst.id);
    expect(keyVault.held).toBe(0);
  });

  it('deletes a replaced webhook URL, a replaced client secret and a replaced password, and keeps what was sent back masked', async () => {
    const { project: created, item } = await project();
    const before = keyVault.held;
    await s.projects.updateProject(LOCAL_TENANT, created.id, parseInput(projectPatch, { teamsWebhookUrl: `${WEBHOOK}-second` }));
    await s.projects.updateProject(
      LOCAL_TENANT,
      created.id,
      parseInput(projectPatch, { options: [CLIENT, 'ModernAuthClientSecretExport=********', 'MaxErrors=5'] }),
    );
    await s.projects.updateProject(
      LOCAL_TENANT,
      created.id,
      parseInput(projectPatch, { options: [CLIENT, 'ModernAuthClientSecretExport=rotated-secret'] }),
    );
    await s.items.updateItem(LOCAL_TENANT, item.id, { sourcePassword: 'a-src-pw-2', options: [] }); // drops the item's client secret
    expect(keyVault.held).toBe(before - 1);
    const values = [...keyVault.stored.values()].map((secret) => secret.value);
    expect(values).toEqual(expect.arrayContaining([`${WEBHOOK}-second`, 'rotated-secret', 'a-src-pw-2', 'a-dst-pw']));
    for (const gone of [WEBHOOK, 'project-option-secret', 'a-src-pw', 'item-option-secret']) expect(values).not.toContain(gone);
    await s.projects.updateProject(LOCAL_TENANT, created.id, parseInput(projectPatch, { teamsWebhookUrl: '', options: [] }));
    expect(keyVault.held).toBe(before - 1 - 2);
  });

  it('leaves no secret behind when a save is refused', async () => {
    const { project: created } = await project();
    const before = keyVault.held;
    await expect(
      s.items.addItem(LOCAL_TENANT, created.id, {
        sourceAddress: 'a@src.test',
        destinationAddress: 'x@dst.test',
        sourcePassword: 'dup-pw',
        endUserCredentials: false,
        options: ['ModernAuthClientSecretImport=dup-secret'],
      }),
    ).rejects.toThrow(/already an item/);
    expect(keyVault.held).toBe(before);
  });
});
