import type { Principal } from '../../core/services/access-service.js';
import type { Authenticator } from './authenticator.js';

export const LOCAL_ADMIN: Principal = { tenantId: 'local', userId: 'local-admin', name: 'Local administrator', kind: 'local-admin' };

/**
 * The embedded host's single local admin: no sign-in, so it is only ever wired into the loopback
 * HTTP server of api/local. The Azure Functions entry point never imports this file (a test checks).
 */
export class LocalAdminAuthenticator implements Authenticator {
  async authenticate(): Promise<Principal> {
    return LOCAL_ADMIN;
  }
}
