/**
 * The README is a front page and the rest lives in docs/: every relative link between those pages
 * (and from SECURITY.md and the READMEs of tab/ and appPackage/) must name a file that exists and,
 * when it has one, a heading that exists, so that moving a section cannot leave a dead link behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, markdownLinks } from './markdown.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = [
  'README.md', 'ARCHITECTURE.md', 'SECURITY.md', 'tab/README.md', 'appPackage/README.md',
  ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
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
    const cli = readFileSync(join(ROOT, 'api/local/cli.ts'), 'utf8');
    const table = cli.slice(cli.indexOf('const commands'), cli.indexOf('\n};', cli.indexOf('const commands')));
    const names = [...table.matchAll(/^ {2}(?:'([a-z-]+(?: [a-z-]+)?)'|([a-z]+)): async/gm)].map((m) => m[1] ?? m[2]!);
    expect(names.length).toBeGreaterThan(15);
    const page = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    expect([...names, 'migrate', 'help'].filter((name) => !page.includes(`| \`${name}\` |`))).toEqual([]);
  });
});
