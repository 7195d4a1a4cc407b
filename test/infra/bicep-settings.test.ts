/**
 * Infra and code must agree: every app setting the Azure build reads is declared in infra/main.bicep
 * (and every declared MAILFERRY_ setting is read), the Cosmos containers and partition keys are the
 * ones the CosmosStore uses, and outputs carry the app settings' own names.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLLECTION_NAMES } from '../../api/adapters/cosmos/cosmos-layout.js';

const bicep = readFileSync('infra/main.bicep', 'utf8');
/** Read by the embedded host or by tests only, never set in Azure. */
const LOCAL_ONLY = new Set(['MAILFERRY_DATA', 'MAILFERRY_ENTRA_JWKS_URI']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Settings the Azure build can read: everything under api/ except the embedded host's own folder. */
function settingsReadByAzureBuild(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles('api').filter((f) => !f.startsWith(join('api', 'local')))) {
    for (const [, name] of readFileSync(file, 'utf8').matchAll(/(?:env\.|required\(env, ')(MAILFERRY_[A-Z0-9_]+)/g)) names.add(name!);
  }
  return names;
}

const appSettings = new Set([...bicep.matchAll(/\{ name: '([A-Za-z0-9_]+)', value:/g)].map((m) => m[1]!));

describe('infra/main.bicep and the code agree', () => {
  it('declares every app setting the Azure build reads', () => {
    const read = [...settingsReadByAzureBuild()].filter((name) => !LOCAL_ONLY.has(name));
    expect(read.length).toBeGreaterThan(3);
    expect(read.filter((name) => !appSettings.has(name))).toEqual([]);
  });

  it('declares no MAILFERRY_ setting that no code reads', () => {
    const read = settingsReadByAzureBuild();
    expect([...appSettings].filter((name) => name.startsWith('MAILFERRY_') && !read.has(name))).toEqual([]);
  });

  it('creates the containers the Cosmos store uses, with the same partition keys', () => {
    const containers = Object.fromEntries(
      [...bicep.matchAll(/name: '([A-Za-z]+)',?\s*partitionKey: '([^']+)'/g)].map((m) => [m[1]!, m[2]!]),
    );
    const expected = Object.fromEntries([
      ...COLLECTION_NAMES.map((n) => [n, '/tenantId']),
      ['ledger', '/pk'],
      ['errors', '/pk'],
      ['cursors', '/pk'],
    ]);
    expect(containers).toEqual(expected);
  });

  it('names its outputs like the app settings they feed', () => {
    const outputs = [...bicep.matchAll(/^output ([A-Za-z0-9_]+) /gm)].map((m) => m[1]!);
    expect(outputs.length).toBeGreaterThan(5);
    for (const name of outputs) expect(name).toMatch(/^[A-Z][A-Z0-9_]+$/);
    for (const name of outputs.filter((n) => appSettings.has(n))) expect(bicep).toContain(`{ name: '${name}', value:`);
  });
});
