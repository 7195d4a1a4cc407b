/**
 * An administrator's one-time device-code sign-in for an endpoint that writes with delegated
 * permissions (Microsoft 365 Groups over Graph: `POST /groups/{id}/threads` takes no application
 * permission). Starting one asks Entra ID for a code and returns it at once; the connector polls
 * Entra ID in the background while the admin signs in elsewhere; when the admin has, msal's token
 * cache (refresh token inside) goes to the vault and the endpoint records who signed in. The
 * cache is never logged, never returned: status answers carry the code, the outcome and a name.
 * Jobs keep the cache current as Entra ID rotates its refresh token (../delegated-sign-in.ts).
 *
 * Sign-ins under way live in this process (the embedded host keeps one Services for its life).
 */
import type { DeviceCodePrompt, DeviceCodeSignIn } from '../connector.js';
import { NotFoundError, ValidationError, ensureError } from '../errors.js';
import { endpointProtocol, type Endpoint } from '../model.js';
import type { ServiceDeps } from './context.js';
import { storeSignIn } from '../delegated-sign-in.js';

export type SignInState = 'none' | 'waiting' | 'signed-in' | 'failed';

export interface SignInStatus {
  state: SignInState;
  /** While waiting: the code to enter and where. */
  prompt?: DeviceCodePrompt;
  signedInAs?: string;
  signedInAt?: string;
  /** When failed: what happened and what to do, in an admin's words. */
  error?: string;
}

interface Attempt {
  endpointId: string;
  sign: DeviceCodeSignIn;
  state: 'waiting' | 'signed-in' | 'failed';
  error?: string;
  /** Settled when the outcome is stored (tests and the CLI wait on it). */
  settled: Promise<void>;
}

export class SignInService {
  private readonly attempts = new Map<string, Attempt>();

  constructor(private readonly deps: ServiceDeps) {}

  /** Starts a sign-in (cancelling one under way for the same endpoint) and returns its code. */
  async start(tenantId: string, endpointId: string): Promise<SignInStatus> {
    const endpoint = await this.signInEndpoint(tenantId, endpointId);
    const connector = this.deps.connectorFor(endpoint.kind);
    if (!connector.startSignIn)
      throw new ValidationError(`Endpoint "${endpoint.name}" cannot be signed in to by this build.`, { field: 'protocol' });
    const key = keyOf(tenantId, endpointId);
    this.attempts.get(key)?.sign.cancel();
    const sign = await connector.startSignIn(endpoint);
    const attempt: Attempt = { endpointId, sign, state: 'waiting', settled: Promise.resolve() };
    attempt.settled = sign.result
      .then(async ({ signedInAs, tokenCache }) => {
        if (this.attempts.get(key) !== attempt) return;
        await this.store(tenantId, endpointId, signedInAs, tokenCache);
        attempt.state = 'signed-in';
      })
      .catch((raw: unknown) => {
        attempt.state = 'failed';
        attempt.error = ensureError(raw).message;
      });
    this.attempts.set(key, attempt);
    return this.status(tenantId, endpointId);
  }

  /** Where the sign-in stands: waiting (with the code), signed in (as whom), failed (why), or none yet. */
  async status(tenantId: string, endpointId: string): Promise<SignInStatus> {
    const endpoint = await this.signInEndpoint(tenantId, endpointId);
    const attempt = this.attempts.get(keyOf(tenantId, endpointId));
    const who = endpoint.signInRef ? { signedInAs: endpoint.signedInAs, signedInAt: endpoint.signedInAt } : {};
    if (attempt?.state === 'waiting') return { state: 'waiting', prompt: attempt.sign.prompt, ...who };
    if (attempt?.state === 'failed') return { state: 'failed', error: attempt.error, ...who };
    return endpoint.signInRef ? { state: 'signed-in', ...who } : { state: 'none' };
  }

  /** Resolves once the sign-in under way for the endpoint has an outcome (the CLI waits on it). */
  async settled(tenantId: string, endpointId: string): Promise<SignInStatus> {
    await this.attempts.get(keyOf(tenantId, endpointId))?.settled;
    return this.status(tenantId, endpointId);
  }

  /** Stops every sign-in under way (the host is closing). */
  close(): void {
    for (const attempt of this.attempts.values()) attempt.sign.cancel();
    this.attempts.clear();
  }

  private async store(tenantId: string, endpointId: string, signedInAs: string, tokenCache: string): Promise<void> {
    await storeSignIn(this.deps, tenantId, endpointId, tokenCache, { signedInAs, signedInAt: this.deps.clock.now().toISOString() });
  }

  private async signInEndpoint(tenantId: string, endpointId: string): Promise<Endpoint> {
    const endpoint = await this.deps.store.endpoints.get(tenantId, endpointId);
    if (!endpoint) throw new NotFoundError(`No endpoint with id ${endpointId}.`, { field: 'endpointId' });
    if (endpoint.kind !== 'm365-group' || endpointProtocol(endpoint) !== 'graph') {
      throw new ValidationError(
        `Endpoint "${endpoint.name}" does not need an administrator sign-in: only a Microsoft 365 Groups endpoint whose protocol is graph posts with a signed-in administrator. ` +
          (endpoint.kind === 'm365-group'
            ? 'Switch it to Graph first (PATCH /endpoints/{id} {"protocol": "graph", "appClientId": …, "appTenantId": …}).'
            : ''),
        { field: 'protocol' },
      );
    }
    return endpoint;
  }
}

function keyOf(tenantId: string, endpointId: string): string {
  return `${tenantId}\n${endpointId}`;
}
