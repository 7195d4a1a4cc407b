/**
 * The layering ARCHITECTURE.md and docs/design.md promise, checked on the sources: the copy engine
 * never reaches into the application services (the store helpers both use sit beside the store
 * port), api/core imports no host, adapter or connector, and every port is declared in ports.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CORE = join(ROOT, 'api/core');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports, resolved to a path under the repository. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => relative(ROOT, resolve(file, '..', m[1]!)));
}

describe('the layers of api/core', () => {
  it('the engine imports nothing from the application services', () => {
    const offending = sources(join(CORE, 'engine')).flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('api/core/services/') || target.startsWith('api/core/app/'))
        .map((target) => `${relative(ROOT, file)} → ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('core imports no host, adapter or connector', () => {
    const offending = sources(CORE).flatMap((file) =>
      importsOf(file)
        .filter((target) => !target.startsWith('api/core/'))
        .map((target) => `${relative(ROOT, file)} → ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('declares each port once, in ports.ts', () => {
    const ports = ['Store', 'JobQueue', 'SecretVault', 'Clock', 'Mailer', 'Notifier'];
    const declared = sources(CORE).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return ports
        .filter((port) => new RegExp(`export (interface|type) ${port}\\b`).test(text))
        .map((port) => `${port} in ${relative(ROOT, file)}`);
    });
    expect(declared.sort()).toEqual(ports.map((port) => `${port} in api/core/ports.ts`).sort());
  });
});
