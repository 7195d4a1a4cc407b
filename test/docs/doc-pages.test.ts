/**
 * The README is a front page and the rest lives in docs/. These checks keep the pages true as the
 * code moves: every relative link between them (and from SECURITY.md and the READMEs of tab/ and
 * appPackage/) names a file and heading that exist, every repository path named in backticks
 * exists, and docs/cli.md lists every command the CLI knows.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeSpans, headingAnchors, markdownLinks } from './markdown.js';
import { COMMAND_NAMES } from '../../api/local/cli-commands.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = [
  'README.md',
  'ARCHITECTURE.md',
  'SECURITY.md',
  'tab/README.md',
  'appPackage/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].filter((page) => existsSync(join(ROOT, page)));

describe('links between the documentation pages', () => {
  it('finds the front page and the pages under docs/', () => {
    expect(PAGES).toContain('README.md');
    expect(PAGES.filter((p) => p.startsWith('docs/')).length).toBeGreaterThan(5);
  });

  for (const page of PAGES) {
    it(`${page}: every relative link names a file and heading that exist`, () => {
      const text = readFileSync(join(ROOT, page), 'utf8');
      const dead: string[] = [];
      for (const link of markdownLinks(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto: and the like
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path ? resolve(dirname(join(ROOT, page)), decodeURI(path)) : join(ROOT, page);
        if (!existsSync(target)) {
          dead.push(`${link} (no file ${relative(ROOT, target)})`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !headingAnchors(readFileSync(target, 'utf8')).has(anchor)) {
          dead.push(`${link} (no heading #${anchor} in ${relative(ROOT, target)})`);
        }
      }
      expect(dead).toEqual([]);
    });
  }
});

describe('docs/cli.md', () => {
  it('documents every command the CLI knows', () => {
    const names = [...COMMAND_NAMES];
    expect(names.length).toBeGreaterThan(15);
    const page = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    expect([...names, 'migrate', 'help'].filter((name) => !page.includes(`| \`${name}\` |`))).toEqual([]);
  });
});

describe('paths named in the documentation pages', () => {
  /** Made by a build or a run, not kept in the repository (see .gitignore). */
  const BUILT = /^(\.\/)?(dist|appPackage\/build|test-results|\.mailferry|coverage)(\/|$)/;
  const TOP = new Set(
    readdirSync(ROOT).filter((name) => name !== 'node_modules' && !name.startsWith('.git') && statSync(join(ROOT, name)).isDirectory()),
  );
  const SOURCE_FILE = /\.(ts|tsx|json|md|bicep|mjs|c)$/;
  const namesAPath = (span: string) =>
    !/\s/.test(span) &&
    !span.startsWith('@') &&
    !span.startsWith('/') &&
    !span.startsWith('../') &&
    !BUILT.test(span) &&
    (TOP.has(span.split('/')[0]!) || SOURCE_FILE.test(span));

  for (const page of PAGES.filter((p) => p !== 'ARCHITECTURE.md' && !p.includes('/README.md'))) {
    it(`${page}: every file named in backticks exists, by its path from the repository root`, () => {
      const spans = codeSpans(readFileSync(join(ROOT, page), 'utf8')).filter(namesAPath);
      expect(spans.filter((span) => !existsSync(join(ROOT, span)))).toEqual([]);
    });
  }
});

describe('docs/passes.md', () => {
  it('documents every support option the core accepts', async () => {
    const { SUPPORT_OPTION_KEYS } = await import('../../api/core/support-options.js');
    const page = readFileSync(join(ROOT, 'docs/passes.md'), 'utf8');
    expect(SUPPORT_OPTION_KEYS.filter((key) => !new RegExp(`\`${key}\\b`).test(page))).toEqual([]);
  });
});

describe('settings', () => {
  it('names every MAILFERRY_ environment variable the code reads, in full, in the README or docs/', () => {
    const code = sources(join(ROOT, 'api'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const read = new Set([...code.matchAll(/(?:env\.|env\['|required\(env, ')(MAILFERRY_[A-Z0-9_]+)/g)].map((m) => m[1]!));
    expect(read.size).toBeGreaterThan(20);
    const pages = ['README.md', ...PAGES.filter((p) => p.startsWith('docs/'))].map((p) => readFileSync(join(ROOT, p), 'utf8')).join('\n');
    expect([...read].filter((name) => !new RegExp(`\\b${name}\\b`).test(pages))).toEqual([]);
  });
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(path) ? [path] : [];
  });
}
