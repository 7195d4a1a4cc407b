/**
 * A local stand-in for Microsoft Entra ID's token issuer: an RSA key pair, its JWKS served over
 * real HTTP on loopback, and a function that mints access tokens shaped like Entra's v2 tokens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

export const TEST_AUDIENCE = 'api://mailferry-test';
/** The delegated scope the API exposes (EntraAuthenticator's default). */
export const TEST_SCOPE = 'access_as_user';

export interface TestIssuer {
  jwksUri: string;
  mint(
    claims: { tid: string; oid: string; name?: string } & JWTPayload,
    options?: { audience?: string; issuer?: string; expiresIn?: string; key?: 'trusted' | 'forged' },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const trusted = await generateKeyPair('RS256', { extractable: true });
  const forged = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-key-1';
  const jwk = { ...(await exportJWK(trusted.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const server: Server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUri: `http://127.0.0.1:${port}/discovery/v2.0/keys`,
    async mint(claims, options = {}) {
      // A forged token reuses the trusted key id, as an attacker would, but not the private key.
      const key = options.key === 'forged' ? forged.privateKey : trusted.privateKey;
      // A user signed in through the Mailferry app (Teams/Office SSO) unless the test says otherwise:
      // name `scp` for another scope, or `roles` (or `idtyp: 'app'`) without `scp` for an app-only (daemon) token.
      const payload = 'scp' in claims || 'roles' in claims || claims.idtyp === 'app' ? claims : { ...claims, scp: TEST_SCOPE };
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(options.issuer ?? `https://login.microsoftonline.com/${claims.tid}/v2.0`)
        .setAudience(options.audience ?? TEST_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '10m')
        .sign(key);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
