/**
 * The Microsoft 365 Agents Toolkit project (m365agents.yml, m365agents.local.yml, env/, aad.manifest.json)
 * holds together: every ${{VAR}} the toolkit will fill has a source (an env file line or an earlier
 * action's output), the Bicep outputs it deploys to exist, and the Entra app is set up for Teams and
 * Outlook SSO. The toolkit's own schema and validator run in CI (.ci/toolkit-check).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { placeholderNames } from '../../appPackage/scripts/manifest-tools.mjs';

const read = (path: string) => readFileSync(path, 'utf8');
/** KEY= lines of an env file. */
const envNames = (path: string) => new Set([...read(path).matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
/** Set by the toolkit itself for every run. */
const BUILT_IN = new Set(['TEAMSFX_ENV']);
const bicepOutputs = new Set([...read('infra/main.bicep').matchAll(/^output ([A-Z0-9_]+) /gm)].map((m) => m[1]!));
/** Client ids Microsoft documents for tab SSO ("Configure your tab app in Microsoft Entra ID"). */
const TEAMS_CLIENTS = ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'];
const OUTLOOK_CLIENTS = [
  'bc59ab01-8403-45c6-8796-ac3ef710b3e3',
  'd3590ed6-52b3-4102-aeff-aad2292ab01c',
  '27922004-5251-4030-b22d-91ecd9a37ea4',
];

describe('the Agents Toolkit project', () => {
  for (const [project, envFile, files] of [
    ['m365agents.yml', 'env/.env.dev', ['m365agents.yml', 'appPackage/manifest.json', 'aad.manifest.json', 'infra/main.parameters.json']],
    ['m365agents.local.yml', 'env/.env.local', ['m365agents.local.yml', 'appPackage/manifest.json', 'aad.manifest.json']],
  ] as const) {
    it(`gives every variable ${project} and the files it uses a value from ${envFile}`, () => {
      const declared = envNames(envFile);
      const used = new Set(files.flatMap((file) => placeholderNames(read(file))));
      expect(used.size).toBeGreaterThan(5);
      expect([...used].filter((name) => !declared.has(name) && !BUILT_IN.has(name))).toEqual([]);
    });
  }

  it('deploys to resources infra/main.bicep outputs, under the names the env file keeps', () => {
    const yml = read('m365agents.yml');
    for (const name of ['MAILFERRY_TAB_STORAGE_RESOURCE_ID', 'MAILFERRY_FUNCTION_APP_RESOURCE_ID', 'MAILFERRY_API_URL', 'TAB_DOMAIN']) {
      expect(bicepOutputs.has(name), name).toBe(true);
      expect(envNames('env/.env.dev').has(name), name).toBe(true);
    }
    expect(yml).toContain('resourceId: ${{MAILFERRY_TAB_STORAGE_RESOURCE_ID}}');
    expect(yml).toContain('resourceId: ${{MAILFERRY_FUNCTION_APP_RESOURCE_ID}}');
    expect(yml).toContain('VITE_MAILFERRY_API_URL: ${{MAILFERRY_API_URL}}');
  });

  it('accepts the tokens the Entra app issues: its client id is the API audience', () => {
    expect(JSON.parse(read('infra/main.parameters.json')).parameters.entraAudiences.value).toBe('${{AAD_APP_CLIENT_ID}}');
    // Every parameter without a default in main.bicep has a value.
    const parameters = JSON.parse(read('infra/main.parameters.json')).parameters as Record<string, unknown>;
    const required = [...read('infra/main.bicep').matchAll(/^param ([A-Za-z]+) [a-z]+$/gm)].map((m) => m[1]!);
    expect(required.filter((name) => !(name in parameters))).toEqual([]);
  });

  it('registers the SSO scope the manifest names, pre-authorized for Teams and Outlook', () => {
    const aad = JSON.parse(read('aad.manifest.json'));
    const manifest = JSON.parse(read('appPackage/manifest.json'));
    expect(aad.identifierUris).toEqual([manifest.webApplicationInfo.resource]);
    expect(aad.appId).toBe(manifest.webApplicationInfo.id);
    expect(aad.api.requestedAccessTokenVersion).toBe(2);
    const [scope] = aad.api.oauth2PermissionScopes;
    expect(scope).toMatchObject({ value: 'access_as_user', type: 'User', isEnabled: true });
    const authorized = new Map<string, string[]>(
      aad.api.preAuthorizedApplications.map((a: { appId: string; delegatedPermissionIds: string[] }) => [
        a.appId,
        a.delegatedPermissionIds,
      ]),
    );
    for (const client of [...TEAMS_CLIENTS, ...OUTLOOK_CLIENTS]) expect(authorized.get(client), client).toEqual([scope.id]);
  });

  it('keeps secrets and generated files out of git', () => {
    const ignored = read('.gitignore');
    for (const pattern of ['env/.env.*.user', 'build/', 'local.settings.json', 'appPackage/build/']) expect(ignored).toContain(pattern);
  });
});
