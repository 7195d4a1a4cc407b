import type { EndpointCheck } from '../connector.js';
import { MailferryError, NotFoundError, ValidationError } from '../errors.js';
import { describeAddressProblem } from '../email-address.js';
import type { Endpoint } from '../model.js';
import type { ServiceDeps } from './context.js';
import { loadSignIn } from '../delegated-sign-in.js';

export interface EndpointTest {
  testMailbox?: string;
  testLogin?: string;
  testPassword?: string;
  /** The side the endpoint is checked for (the wizard's step); both when absent. */
  role?: 'source' | 'destination';
}

/**
 * Talks to the mail system behind an endpoint without migrating anything: "Save and Go to
 * Summary" checks, and "Autodiscover items" where the protocol can list mailboxes.
 */
export class EndpointChecks {
  constructor(private readonly deps: ServiceDeps) {}

  async validate(tenantId: string, endpointId: string, test: EndpointTest): Promise<{ ok: boolean; checks: EndpointCheck[] }> {
    const endpoint = await this.endpoint(tenantId, endpointId);
    // IMAP opens a mailbox by its login (`src1`); Exchange and Microsoft 365 find it by address.
    if (test.testMailbox && endpoint.kind !== 'imap' && describeAddressProblem(test.testMailbox)) {
      throw new ValidationError('Give the test mailbox as an e-mail address, e.g. user@contoso.com: Exchange finds mailboxes by address.', {
        field: 'testMailbox',
      });
    }
    const connector = this.deps.connectorFor(endpoint.kind);
    if (!connector.probe) {
      return {
        ok: false,
        checks: [
          { check: 'Endpoint kind', status: 'failed', detail: `Endpoints of kind "${endpoint.kind}" cannot be checked by this build.` },
        ],
      };
    }
    const delegatedSignIn = await loadSignIn(this.deps, endpoint);
    const checks = await connector.probe({
      endpoint,
      adminPassword: await this.adminPassword(endpoint),
      ...(await this.appSecrets(endpoint)),
      delegatedSignIn,
      ...test,
    });
    return { ok: checks.every((c) => c.status !== 'failed'), checks };
  }

  /** The mailboxes the source endpoint's admin can reach; the caller imports the ones it wants. */
  async discover(tenantId: string, endpointId: string): Promise<string[]> {
    const endpoint = await this.endpoint(tenantId, endpointId);
    const connector = this.deps.connectorFor(endpoint.kind);
    if (!connector.discoverMailboxes) {
      throw new MailferryError(
        'unsupported',
        `Autodiscover is not possible for ${endpoint.kind} endpoints: IMAP has no command that lists other users' mailboxes. Use Bulk Add with a CSV instead.`,
        { field: 'sourceEndpointId' },
      );
    }
    const found = await connector.discoverMailboxes({
      endpoint,
      adminPassword: await this.adminPassword(endpoint),
      ...(await this.appSecrets(endpoint)),
    });
    return [...new Set(found.map((a) => a.trim().toLowerCase()))].sort();
  }

  private async endpoint(tenantId: string, endpointId: string): Promise<Endpoint> {
    const endpoint = await this.deps.store.endpoints.get(tenantId, endpointId);
    if (!endpoint) throw new NotFoundError(`No endpoint with id ${endpointId}.`, { field: 'endpointId' });
    return endpoint;
  }

  private async appSecrets(endpoint: Endpoint): Promise<{ appSecret?: string; appCertificateKey?: string }> {
    const read = (ref?: string) => (ref ? this.deps.vault.get(endpoint.tenantId, ref) : undefined);
    return { appSecret: await read(endpoint.appSecretRef), appCertificateKey: await read(endpoint.appCertificateKeyRef) };
  }

  private async adminPassword(endpoint: Endpoint): Promise<string | undefined> {
    return endpoint.adminSecretRef ? this.deps.vault.get(endpoint.tenantId, endpoint.adminSecretRef) : undefined;
  }
}
