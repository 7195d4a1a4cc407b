import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureHost } from '../../api/functions/azure-host.js';
import { createHttpHandler } from '../../api/functions/http-handler.js';
import { startTestIssuer, TEST_AUDIENCE, type TestIssuer } from '../support/test-issuer.js';

const TENANT = '55555555-5555-4555-8555-555555555555';
const OWNER = 'd0d0d0d0-0000-4000-8000-00000000d001';

describe('the Azure host states which tenants it serves and who founds them', () => {
  let issuer: TestIssuer;
  let dataDir: string;
  let base: Record<string, string>;
  const logged: string[] = [];

  const call = async (env: Record<string, string>, token: string) => {
    const context = new InvocationContext({
      functionName: 'api',
      logHandler: (_level, ...args) => void logged.push(args.map(String).join(' ')),
    });
    const res = await createHttpHandler(() => azureHost(env))(
      new HttpRequest({
        method: 'GET',
        url: 'https://mailferry.azurewebsites.net/api/v1/projects',
        headers: { authorization: `Bearer ${token}` },
      }),
      context,
    );
    return { status: res.status, body: JSON.parse(String(res.body)) };
  };

  beforeAll(async () => {
    issuer = await startTestIssuer();
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-azure-config-'));
    base = {
      MAILFERRY_ENTRA_AUDIENCES: TEST_AUDIENCE,
      MAILFERRY_ENTRA_JWKS_URI: issuer.jwksUri,
      MAILFERRY_DATA: dataDir,
      MAILFERRY_STORE: 'sqlite',
    };
  });
  afterAll(async () => {
    await issuer?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses every call, saying what to set, while no tenant is configured', async () => {
    const token = await issuer.mint({ tid: TENANT, oid: OWNER });
    for (const attempt of [1, 2]) {
      const res = await call(base, token);
      expect(res.status, `attempt ${attempt}`).toBe(501);
      expect(res.body.detail).toMatch(/serves no tenant yet: set MAILFERRY_ALLOWED_TENANTS/);
    }
    expect(logged.join('\n')).toMatch(/MAILFERRY_ALLOWED_TENANTS/);
  });

  it('refuses a malformed owner list, and owners of a tenant it does not serve', async () => {
    const token = await issuer.mint({ tid: TENANT, oid: OWNER });
    const malformed = await call(
      { ...base, MAILFERRY_ALLOWED_TENANTS: TENANT, MAILFERRY_TENANT_OWNERS: `${TENANT}:alice@contoso.com` },
      token,
    );
    expect(malformed.body.detail).toMatch(/MAILFERRY_TENANT_OWNERS: ".*" is not "tenant-id:user-object-id"/);
    const stray = await call(
      { ...base, MAILFERRY_ALLOWED_TENANTS: TENANT, MAILFERRY_TENANT_OWNERS: `66666666-6666-4666-8666-666666666666:${OWNER}` },
      token,
    );
    expect(stray.status).toBe(501);
    expect(stray.body.detail).toMatch(/does not list/);
  });

  it('once configured: the named Owner founds the tenant, an app-only token is refused', async () => {
    const env = { ...base, MAILFERRY_ALLOWED_TENANTS: TENANT, MAILFERRY_TENANT_OWNERS: `${TENANT}:${OWNER}` };
    const daemon = await call(env, await issuer.mint({ tid: TENANT, oid: 'app-oid', roles: ['full_access_as_app'] }));
    expect(daemon.status).toBe(401);
    expect(daemon.body.detail).toMatch(/app-only/);
    const owner = await call(env, await issuer.mint({ tid: TENANT, oid: OWNER }));
    expect(owner.status).toBe(200);
  });
});
