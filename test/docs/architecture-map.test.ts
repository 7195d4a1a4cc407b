/**
 * ARCHITECTURE.md is the map a newcomer follows from a click in the console to a byte at the
 * destination. A map that names a file that is gone, or leaves out a port or an adapter, misleads:
 * these checks fail first, so whoever moves the code moves the map with it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeSpans } from './markdown.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAP = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
const spans = codeSpans(MAP);

/** Top-level folders of the repository: a code span starting with one of them names a path. */
const TOP = new Set(
  readdirSync(ROOT).filter((name) => name !== 'node_modules' && !name.startsWith('.git') && statSync(join(ROOT, name)).isDirectory()),
);
const SOURCE_FILE = /\.(ts|tsx|json|md|bicep|mjs|c)$/;

function namesAPath(span: string): boolean {
  if (/\s/.test(span) || span.startsWith('@')) return false; // prose, commands, npm packages
  return TOP.has(span.split('/')[0]!) || SOURCE_FILE.test(span);
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(path) ? [path] : [];
  });
}

describe('ARCHITECTURE.md', () => {
  const paths = [...new Set(spans.filter(namesAPath))];

  it('names files by their path from the repository root, and enough of them to be a map', () => {
    expect(paths.length).toBeGreaterThan(80);
  });

  it('names only files and folders that exist', () => {
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('names every port declared in api/core/ports.ts', () => {
    const ports = readFileSync(join(ROOT, 'api/core/ports.ts'), 'utf8');
    const declared = [...ports.matchAll(/^export (?:interface|type) (Store|JobQueue|SecretVault|Clock|Mailer|Notifier)\b/gm)].map(
      (m) => m[1]!,
    );
    expect(declared.length).toBeGreaterThanOrEqual(6);
    expect([...declared, 'MailConnector', 'MailboxSession'].filter((port) => !spans.includes(port))).toEqual([]);
  });

  it('names the file of every adapter and connector that implements a port', () => {
    const implementers = sources(join(ROOT, 'api')).filter((file) =>
      /\bimplements\s+(Store|JobQueue|SecretVault|Clock|Mailer|Notifier|MailConnector)\b/.test(readFileSync(file, 'utf8')),
    );
    expect(implementers.length).toBeGreaterThan(8);
    expect(implementers.map((file) => relative(ROOT, file)).filter((file) => !paths.includes(file))).toEqual([]);
  });

  it('names the composition root and every host that calls it', () => {
    const callers = sources(join(ROOT, 'api')).filter((file) => /\bcreateMailferry\(/.test(readFileSync(file, 'utf8')));
    expect(callers.map((file) => relative(ROOT, file)).filter((file) => !paths.includes(file))).toEqual([]);
    expect(paths).toContain('api/core/app/create-mailferry.ts');
  });
});
