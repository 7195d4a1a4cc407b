/**
 * The regular expressions admins give in FolderFilter and FolderMapping, run by RE2 (re2js):
 * matching takes time linear in the folder path whatever the pattern, so a pattern such as
 * `^(a+)+$` cannot stall the process for every tenant the way a backtracking engine would.
 *
 * RE2 has no lookaround, but the documented way to keep only some folders is a leading negative
 * lookahead (`FolderFilter=^(?!Inbox$)`, `^(?!Inbox$|Calendar$)`). That form is evaluated as two
 * RE2 patterns: `^(?!X)Y` matches when X does not match at the start and Y does — exactly what a
 * backtracking engine computes, because a lookahead at a fixed position is a yes/no test.
 * Every other construct RE2 lacks (lookaround elsewhere, backreferences) is refused when the
 * option is saved, with the reason.
 */
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

/**
 * re2js is loaded by the first pattern compiled, not with this module: most passes have no
 * FolderFilter or FolderMapping, and loading it costs a `mailferry migrate` start 0.1-0.3 s.
 */
let re2js: typeof RE2JS | undefined;
function engine(): typeof RE2JS {
  re2js ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS;
  return re2js;
}

export interface FolderPattern {
  /** The pattern as the admin wrote it. */
  readonly source: string;
  /** Capture groups, numbered as in the written pattern (those inside a lookahead included). */
  readonly groupCount: number;
  /** Whether the pattern matches anywhere in the path (JavaScript's `search() >= 0`). */
  test(path: string): boolean;
  /** The path with the first match replaced; `$1`…, `$&` and `$$` as in JavaScript's `replace`. */
  replaceFirst(path: string, replacement: string): string;
}

const LOOKAHEAD_OPEN = '(?!';
const LINEAR_TIME_HINT =
  'Mailferry runs folder patterns in linear time (RE2), which has no backreferences and no lookaround except a negative lookahead right after the leading ^, as in ^(?!Inbox$)';

/** Folder names on Exchange and the IMAP INBOX are case-insensitive, so patterns are too. */
export function compileFolderPattern(key: string, source: string): FolderPattern | string {
  if (source === '') return `${key} needs a regular expression, e.g. ${key}=^(?!Inbox$)`;
  try {
    const lookahead = splitLeadingLookaheads(source);
    return lookahead ? new GuardedPattern(source, lookahead.excluded, lookahead.rest) : new PlainPattern(source);
  } catch (error) {
    return `${key} "${source}" is not a regular expression Mailferry can use: ${reasonOf(error)}.`;
  }
}

function compile(source: string): RE2JS {
  const RE2 = engine();
  return RE2.compile(source, RE2.CASE_INSENSITIVE);
}

class PlainPattern implements FolderPattern {
  private readonly re: RE2JS;
  readonly groupCount: number;

  constructor(readonly source: string) {
    this.re = compile(source);
    this.groupCount = this.re.groupCount();
  }

  test(path: string): boolean {
    return this.re.test(path);
  }

  replaceFirst(path: string, replacement: string): string {
    const match = this.re.exec(path) as Re2Match | null;
    return match
      ? spliceMatch(
          path,
          match,
          expandReplacement(replacement, (n) => match[n]),
        )
      : path;
  }
}

/** `^(?!X1)(?!X2)…Y`: none of the X match at the start of the path, and Y matches there. */
class GuardedPattern implements FolderPattern {
  private readonly excluded: RE2JS[];
  private readonly rest: RE2JS;
  private readonly excludedGroups: number;
  readonly groupCount: number;

  constructor(
    readonly source: string,
    excluded: string[],
    rest: string,
  ) {
    this.excluded = excluded.map((x) => compile(`^(?:${x})`));
    this.rest = compile(`^(?:${rest})`);
    this.excludedGroups = this.excluded.reduce((sum, re) => sum + re.groupCount(), 0);
    this.groupCount = this.excludedGroups + this.rest.groupCount();
  }

  test(path: string): boolean {
    return this.excluded.every((re) => !re.test(path)) && this.rest.test(path);
  }

  replaceFirst(path: string, replacement: string): string {
    if (this.excluded.some((re) => re.test(path))) return path;
    const match = this.rest.exec(path) as Re2Match | null;
    // Groups inside a negative lookahead never capture; they keep their numbers, empty.
    return match
      ? spliceMatch(
          path,
          match,
          expandReplacement(replacement, (n) => (n === 0 ? match[0] : n > this.excludedGroups ? match[n - this.excludedGroups] : '')),
        )
      : path;
  }
}

/** re2js's exec() result mirrors RegExpExecArray but is typed any[]. */
type Re2Match = string[] & { index: number };

function spliceMatch(path: string, match: Re2Match, replaced: string): string {
  return path.slice(0, match.index) + replaced + path.slice(match.index + match[0].length);
}

/** JavaScript's replacement syntax for the parts FolderMapping documents: `$n`, `$nn`, `$&`, `$$`. */
function expandReplacement(replacement: string, group: (n: number) => string | undefined): string {
  return replacement.replace(/\$(\$|&|\d\d?)/g, (_token, what: string) => {
    if (what === '$') return '$';
    if (what === '&') return group(0) ?? '';
    const value = group(Number(what));
    if (value !== undefined || what.length === 1) return value ?? '';
    // `$12` with fewer than 12 groups is `$1` followed by "2", as in JavaScript.
    return (group(Number(what[0])) ?? '') + what[1];
  });
}

/**
 * `^(?!X1)(?!X2)…Y` split into the X and Y, or undefined when the pattern does not start that
 * way. A top-level `|` in Y is refused: `^(?!X)A|B` means "(^(?!X)A) or B anywhere", which the
 * admin rarely means and which is clearer written with a group.
 */
function splitLeadingLookaheads(source: string): { excluded: string[]; rest: string } | undefined {
  if (!source.startsWith(`^${LOOKAHEAD_OPEN}`)) return undefined;
  const excluded: string[] = [];
  let at = 1;
  while (source.startsWith(LOOKAHEAD_OPEN, at)) {
    const close = closingParen(source, at + LOOKAHEAD_OPEN.length);
    excluded.push(source.slice(at + LOOKAHEAD_OPEN.length, close));
    at = close + 1;
  }
  const rest = source.slice(at);
  if (hasTopLevelBar(rest)) {
    throw new Error(
      `after ^(?!…) the rest of the pattern has a "|" outside any group; put the alternatives in a group, e.g. ^(?!Inbox$)(?:Sent|Drafts)`,
    );
  }
  return { excluded, rest };
}

/** Index of the `)` closing a group whose body starts at `from`, skipping escapes and [classes]. */
function closingParen(source: string, from: number): number {
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') i++;
    else if (ch === '[') i = closingBracket(source, i);
    else if (ch === '(') depth++;
    else if (ch === ')' && depth-- === 0) return i;
  }
  throw new Error('a "(?!" is never closed with ")"');
}

function closingBracket(source: string, open: number): number {
  // A "]" right after "[" or "[^" is a literal member of the class.
  let i = source[open + 1] === '^' ? open + 2 : open + 1;
  if (source[i] === ']') i++;
  for (; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i;
  }
  return source.length;
}

function hasTopLevelBar(source: string): boolean {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') i++;
    else if (ch === '[') i = closingBracket(source, i);
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) return true;
  }
  return false;
}

/** RE2's words without its prefix and the flag group it adds, plus what to do for the usual cases. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message.replace(/^error parsing regexp: /, '').replaceAll('(?i)', '');
  if (/\(\?[=!<]/.test(reason) || /invalid escape sequence: `\\[1-9]/.test(reason)) return `${reason}. ${LINEAR_TIME_HINT}`;
  return reason;
}
