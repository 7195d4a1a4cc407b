/**
 * What infra/main.bicep deploys, read from the template: the link in a credential e-mail built
 * from the Bicep settings, network rules on the stores that hold secrets and mail state, and the
 * app identity's roles (issue 10, finding 12).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LinkKeyring } from '../../api/core/end-user/credential-link.js';
import { EndUserService } from '../../api/core/end-user/end-user-service.js';
import type { MailMessage } from '../../api/core/ports.js';
import { parseInput, passInput } from '../../api/core/schemas.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { makeTempDir, type TempDir } from '../adapters/temp-dir.js';
import { silentLog } from '../support/migration-fixture.js';
import { appSettingExpression, bicep, evaluate, resourceBlock } from './bicep-text.js';

/** What Azure returns for a StorageV2 account's static website endpoint: a full URL with a trailing slash. */
const WEB_ENDPOINT = 'https://mailferryweb3x7k2q.z6.web.core.windows.net/';

describe('the credential link a deployed Mailferry e-mails', () => {
  let dir: TempDir | undefined;
  let runtime: EmbeddedRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    dir?.remove();
  });

  it('points at the static website once, from MAILFERRY_PUBLIC_URL as Bicep sets it', async () => {
    const publicUrl = evaluate(appSettingExpression('MAILFERRY_PUBLIC_URL'), { 'web.properties.primaryEndpoints.web': WEB_ENDPOINT });
    dir = makeTempDir();
    runtime = await EmbeddedRuntime.open({ dataDir: dir.path, log: silentLog });
    const s = runtime.services;
    const endpoint = (name: string) =>
      s.projects.createEndpoint(LOCAL_TENANT, {
        name,
        kind: 'imap',
        host: '127.0.0.1',
        port: 1,
        security: 'none',
        allowSelfSigned: false,
        adminMode: 'none',
        authMechanism: 'password',
        domains: [],
      });
    const [src, dst] = [await endpoint('Source'), await endpoint('Destination')];
    const project = await s.projects.createProject(LOCAL_TENANT, {
      name: 'Links',
      sourceEndpointId: src.id,
      destinationEndpointId: dst.id,
      options: [],
      maxConcurrentMigrations: 2,
    });
    const item = await s.items.addItem(LOCAL_TENANT, project.id, {
      sourceAddress: 'dana@src.test',
      destinationAddress: 'dana@dst.test',
      endUserCredentials: true,
      options: [],
    });
    const pass = (await s.passes.startPass(LOCAL_TENANT, project.id, parseInput(passInput, { kind: 'full', itemIds: [item.id] }))).pass;
    const sent: MailMessage[] = [];
    const service = new EndUserService(s.deps, {
      mailer: { send: async (message) => void sent.push(message) },
      keyring: new LinkKeyring(LinkKeyring.generateKey()),
      connectorFor: runtime.engine.connectorFor,
      publicBaseUrl: publicUrl,
    });
    await service.requestCredentials(LOCAL_TENANT, item.id, pass.id);
    const links = sent[0]!.text.match(/https?:\/\/\S+/g) ?? [];
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      expect(link).toMatch(/^https:\/\/mailferryweb3x7k2q\.z6\.web\.core\.windows\.net\/end-user\/credentials#token=/);
    }
  });
});

describe('infra/main.bicep keeps the data stores off the open internet', () => {
  it('lets only the Function App subnet (and listed operator addresses) reach Key Vault', () => {
    const vault = resourceBlock('vault');
    expect(vault).toMatch(/networkAcls: \{[\s\S]*defaultAction: 'Deny'/);
    expect(vault).toMatch(/virtualNetworkRules: \[ \{ id: appSubnetId/);
    expect(vault).toMatch(/bypass: 'None'/);
  });

  it('lets only the Function App subnet (and listed operator addresses) reach Cosmos DB', () => {
    const cosmos = resourceBlock('cosmos');
    expect(cosmos).toMatch(/isVirtualNetworkFilterEnabled: true/);
    expect(cosmos).toMatch(/virtualNetworkRules: \[ \{ id: appSubnetId/);
  });

  it('routes the Function App through that subnet, which has the service endpoints the rules need', () => {
    expect(resourceBlock('functionApp')).toMatch(/virtualNetworkSubnetId: appSubnetId/);
    const network = resourceBlock('network');
    expect(network).toMatch(/serviceName: 'Microsoft\.App\/environments'/); // Flex Consumption's delegation
    expect(network).toMatch(/service: 'Microsoft\.KeyVault'/);
    expect(network).toMatch(/service: 'Microsoft\.AzureCosmosDB'/);
  });

  it('lets the app purge the secrets it deletes (no purge protection)', () => {
    expect(resourceBlock('vault')).not.toMatch(/enablePurgeProtection: true/);
  });
});

describe('infra/main.bicep grants least privilege', () => {
  it('turns shared keys off on both storage accounts', () => {
    for (const symbol of ['storage', 'web']) expect(resourceBlock(symbol)).toMatch(/allowSharedKeyAccess: false/);
  });

  it('gives the app Service Bus send and receive rights, not ownership', () => {
    expect(bicep).not.toMatch(/roles\.serviceBusDataOwner/);
    expect(bicep).not.toMatch(/090c5cfd-751d-490a-894a-3ce6f1109419/); // Azure Service Bus Data Owner
    expect(resourceBlock('serviceBusRoles')).toMatch(/for role in \[ roles\.serviceBusDataSender, roles\.serviceBusDataReceiver \]/);
  });
});
