/** Just enough Markdown for the documentation tests: links, headings as GitHub anchors them, code spans. */

/** Text outside fenced code blocks, so a `#` comment in a shell example is not taken for a heading. */
export function outsideFences(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '');
}

/** The targets of inline links and images: `[text](target)`, `![alt](target)`. */
export function markdownLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const match of outsideFences(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push(match[1]!);
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of outsideFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = match[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]/g, (c) => (c === '_' ? '_' : ''));
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count ? `${base}-${count}` : base);
  }
  return anchors;
}

/** Every code span's text (`like this`), outside fenced blocks. */
export function codeSpans(markdown: string): string[] {
  return [...outsideFences(markdown).matchAll(/(?<!`)`([^`\n]+)`(?!`)/g)].map((m) => m[1]!);
}
