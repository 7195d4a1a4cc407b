/**
 * What the attacks aim at: an endpoint, a project, an item and a pass created through the API
 * itself, carrying every kind of secret the product keeps (admin and per-item passwords, Modern
 * Auth client secrets, a support-option client secret, a Teams webhook URL) plus a live
 * credential-link token. Each secret is planted in the scanner first.
 */
import { loadOrCreateLinkKey } from '../../api/adapters/link-key-file.js';
import { CredentialLinks, LinkKeyring } from '../../api/core/end-user/credential-link.js';
import { systemClock } from '../../api/core/ports.js';
import type { HostUnderAttack } from './hosts.js';
import type { SecretScanner } from './secret-scan.js';

export interface PlantedWorld {
  /** Real ids by path parameter name. */
  ids: Record<string, string>;
  /** Names of what was created, to look for in answers that must not show them (another tenant). */
  names: string[];
}

const FUTURE_MS = 365 * 24 * 3600 * 1000;

export async function plantWorld(host: HostUnderAttack, scanner: SecretScanner, tenantId: string, tag = 'planted'): Promise<PlantedWorld> {
  const expectCreated = <T = { id: string }>(what: string, res: { status: number; json: unknown }): T => {
    if (res.status >= 300) throw new Error(`setting up ${what} failed: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json as T;
  };
  const imap = expectCreated(
    'the IMAP endpoint',
    await host.call('POST', '/endpoints', {
      name: `${tag} IMAP`,
      kind: 'imap',
      host: 'imap.contoso.test',
      adminMode: 'login-star',
      adminLogin: 'admin',
      adminPassword: scanner.plant('imap-admin-password'),
    }),
  );
  const ews = expectCreated(
    'the EWS endpoint',
    await host.call('POST', '/endpoints', {
      name: `${tag} EWS`,
      kind: 'm365',
      adminMode: 'impersonation',
      authMechanism: 'oauth-app',
      cloud: 'commercial',
      appClientId: '0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b',
      appTenantId: 'contoso.onmicrosoft.com',
      appClientSecret: scanner.plant('endpoint-client-secret'),
    }),
  );
  const project = expectCreated(
    'the project',
    await host.call('POST', '/projects', {
      name: `${tag} project`,
      sourceEndpointId: imap.id,
      destinationEndpointId: ews.id,
      teamsWebhookUrl: scanner.plant('webhook', `https://prod.workflows.test/hook/${Math.random().toString(36).slice(2)}`),
      options: ['FolderFilter=^Legal Hold', `ModernAuthClientSecretImport=${scanner.plant('option-client-secret')}`],
    }),
  );
  const item = expectCreated<{ id: string; sourceAddress: string }>(
    'the item',
    await host.call('POST', `/projects/${project.id}/items`, {
      sourceAddress: `${tag}-user@contoso.test`,
      destinationAddress: `${tag}-user@fabrikam.test`,
      sourceLogin: 'user',
      sourcePassword: scanner.plant('item-source-password'),
      destinationPassword: scanner.plant('item-destination-password'),
    }),
  );
  const { pass } = expectCreated<{ pass: { id: string } }>(
    'the pass',
    await host.call('POST', `/projects/${project.id}/passes`, { kind: 'verify', startAt: new Date(Date.now() + FUTURE_MS).toISOString() }),
  );
  const workgroup = expectCreated('the workgroup', await host.call('POST', '/workgroups', { name: `${tag} workgroup` }));
  const links = new CredentialLinks(new LinkKeyring(await loadOrCreateLinkKey(host.dataDir)), systemClock);
  const token = scanner.plant('link-token', links.issue({ tenantId, itemId: item.id, passId: pass.id, address: item.sourceAddress }).token);
  return {
    ids: { endpointId: imap.id, projectId: project.id, itemId: item.id, passId: pass.id, workgroupId: workgroup.id, token },
    names: [`${tag} IMAP`, `${tag} EWS`, `${tag} project`, `${tag}-user@contoso.test`],
  };
}
