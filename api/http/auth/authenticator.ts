import type { Principal } from '../../core/services/access-service.js';

/** Turns a request's headers into a Principal, or throws AuthError (401). Chosen once per host. */
export interface Authenticator {
  authenticate(headers: Record<string, string | undefined>): Promise<Principal>;
}

export function bearerToken(headers: Record<string, string | undefined>): string | undefined {
  const value = headers.authorization;
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
}
