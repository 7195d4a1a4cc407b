/**
 * The folder plan: which source folders a pass copies and under which destination path.
 * Rules, in order (../shared/DESIGN.md, "copy engine"):
 * 1. INBOX and special folders (Sent, Drafts, Trash, Junk, Archive...) land in the destination's
 *    folder of the same special use, and their subfolders follow them;
 * 2. `FolderFilter` excludes folders whose source path matches;
 * 3. `FolderMapping` rewrites the source path; when a rule matches, its result replaces rule 1;
 * 4. names are made safe for the destination: its separator inside a name is replaced; `"` is kept
 *    unless `AllowQuoteInFolder=0`, and by default replaced only where the destination refuses it
 *    (the entry's `quoteFallback`, tried by the engine after a refusal).
 * Paths seen by FolderFilter and FolderMapping are the source segments joined by '/', the way
 * MigrationWiz shows them, whatever the source server's own separator.
 */
import type { FolderInfo } from './connector.js';
import type { SupportOptions } from './support-options.js';
import { findSpecialUse, specialFoldersOf, type SpecialFolders } from './special-folders.js';

export interface FolderPlanEntry {
  source: FolderInfo;
  destSegments: string[];
  /**
   * A container (\Noselect) kept because some of its subfolders are copied; it holds no messages,
   * and the destination makes it when it creates those subfolders (a hierarchy-only name where
   * the destination has them), so it never becomes an extra empty folder.
   */
  createOnly: boolean;
  /** The same segments with `"` replaced by `'`, for a destination that refuses the name (AllowQuoteInFolder unset). */
  quoteFallback?: string[];
}

export interface FolderPlan {
  /** INBOX first, every parent before its children. */
  entries: FolderPlanEntry[];
  excluded: { path: string; reason: string }[];
  warnings: string[];
}

export interface DestinationFolders {
  folders: FolderInfo[];
  separator: string;
}

/** The separator of the paths FolderFilter and FolderMapping see. */
const LOGICAL_SEPARATOR = '/';
/**
 * A '/' inside one source folder name (possible where the server's separator is '.') is shown
 * to FolderFilter and FolderMapping as DIVISION SLASH, so '/' in a pattern always means a level.
 */
const SLASH_IN_NAME = '\u2215';
/** Look-alikes for a destination separator found inside a folder name: the name reads the same but stays one level. */
const SEPARATOR_STAND_INS: Readonly<Record<string, string>> = {
  '.': '\u2024', // ONE DOT LEADER
  '/': SLASH_IN_NAME,
  '\\': '\u29F5', // REVERSE SOLIDUS OPERATOR
};
const FALLBACK_STAND_IN = '_';
const QUOTE = '"';
/**
 * Some IMAP servers and Exchange versions refuse `"` in folder names (MigrationWiz's
 * "Unexpected extra arguments to Examine Context: FolderNameWithQuote").
 */
const QUOTE_STAND_IN = "'";

interface Candidate {
  source: FolderInfo;
  destSegments: string[];
  quoteFallback?: string[];
}

export function planFolders(source: FolderInfo[], destination: DestinationFolders, options: SupportOptions): FolderPlan {
  const plan: FolderPlan = { entries: [], excluded: [], warnings: [] };
  const special = specialFoldersOf(destination.folders);
  const sourceByKey = new Map(source.map((folder) => [segmentsKey(folder.segments), folder]));
  const candidates: Candidate[] = [];
  const seenPaths = new Set<string>();
  for (const folder of source) {
    // A listing that names one folder twice must not plan it twice.
    if (seenPaths.has(folder.path)) continue;
    seenPaths.add(folder.path);
    const path = logicalPath(folder.segments);
    const filter = options.folderFilters.find((pattern) => pattern.test(path));
    if (filter) {
      plan.excluded.push({ path: folder.path, reason: `FolderFilter "${filter.source}" matches "${path}".` });
      continue;
    }
    const rule = options.folderMappings.find((mapping) => mapping.pattern.test(path));
    const rawSegments = rule
      ? rule.pattern.replaceFirst(path, rule.replacement).split(LOGICAL_SEPARATOR)
      : followSpecialFolder(folder, sourceByKey, special);
    const destSegments = safeSegments(rawSegments, folder, destination.separator, options.allowQuoteInFolder, plan.warnings);
    if (destSegments.length === 0) {
      plan.excluded.push({
        path: folder.path,
        reason: `FolderMapping "${rule?.pattern.source ?? ''}->${rule?.replacement ?? ''}" leaves "${path}" with no folder name.`,
      });
      continue;
    }
    if (destSegments[0]!.toLowerCase() === special.inbox.toLowerCase()) destSegments[0] = special.inbox;
    const quoted = options.allowQuoteInFolder === undefined && destSegments.some((segment) => segment.includes(QUOTE));
    candidates.push({ source: folder, destSegments, ...(quoted ? { quoteFallback: destSegments.map(unquote) } : {}) });
  }
  const selectable = candidates.filter((candidate) => !candidate.source.noSelect);
  plan.entries = [
    ...selectable.map((candidate) => ({ ...candidate, createOnly: false })),
    ...neededContainers(candidates, selectable, plan).map((candidate) => ({ ...candidate, createOnly: true })),
  ].sort((a, b) => compareDestinations(a.destSegments, b.destSegments, special.inbox));
  warnAboutMerges(selectable, destination.separator, plan.warnings);
  return plan;
}

function logicalPath(segments: string[]): string {
  return segments.map((segment) => segment.replaceAll(LOGICAL_SEPARATOR, SLASH_IN_NAME)).join(LOGICAL_SEPARATOR);
}

function segmentsKey(segments: string[]): string {
  // NUL cannot occur in a folder name on any server we support, so it keeps segments apart.
  return segments.join('\u0000');
}

/**
 * The folder's segments with its nearest special ancestor (or itself) replaced by the
 * destination's folder of that use: `Sent Items/2019` → `Sent/2019`. A special use the
 * destination lacks keeps its source name, and a shallower special ancestor is tried instead.
 */
function followSpecialFolder(folder: FolderInfo, sourceByKey: Map<string, FolderInfo>, special: SpecialFolders): string[] {
  for (let depth = folder.segments.length; depth >= 1; depth--) {
    const prefix = folder.segments.slice(0, depth);
    const listed = sourceByKey.get(segmentsKey(prefix)) ?? (depth === folder.segments.length ? folder : undefined);
    const use = findSpecialUse(prefix, listed?.specialUse);
    const target = use === undefined ? undefined : use === 'inbox' ? [special.inbox] : special.byUse.get(use);
    if (target) return [...target, ...folder.segments.slice(depth)];
  }
  return [...folder.segments];
}

const unquote = (segment: string): string => segment.replaceAll(QUOTE, QUOTE_STAND_IN);

/** Segments the destination accepts: separators (and quotes when AllowQuoteInFolder=0) replaced, empty ones dropped. */
function safeSegments(raw: string[], folder: FolderInfo, separator: string, allowQuote: boolean | undefined, warnings: string[]): string[] {
  return raw
    .filter((segment) => segment !== '')
    .map((segment) => {
      let safe = segment;
      if (separator !== '' && safe.includes(separator)) {
        safe = safe.replaceAll(separator, SEPARATOR_STAND_INS[separator] ?? FALLBACK_STAND_IN);
        warnings.push(
          `Folder "${folder.path}": "${segment}" contains "${separator}", the destination's folder separator, so it is created as "${safe}".`,
        );
      }
      if (allowQuote === false && safe.includes(QUOTE)) {
        const unquoted = unquote(safe);
        warnings.push(
          `Folder "${folder.path}": "${safe}" is created as "${unquoted}" (AllowQuoteInFolder=0); remove that option to keep the " where the destination accepts it.`,
        );
        safe = unquoted;
      }
      return safe;
    });
}

/**
 * \Noselect containers worth creating: those with a planned selectable folder below them and
 * no selectable folder already landing on the same destination path. The rest are excluded.
 */
function neededContainers(candidates: Candidate[], selectable: Candidate[], plan: FolderPlan): Candidate[] {
  const selectableDestinations = new Set(selectable.map((candidate) => segmentsKey(candidate.destSegments)));
  const planned = new Set<string>();
  const needed: Candidate[] = [];
  for (const container of candidates.filter((candidate) => candidate.source.noSelect)) {
    const depth = container.source.segments.length;
    const hasChild = selectable.some(
      (candidate) =>
        candidate.source.segments.length > depth &&
        container.source.segments.every((segment, i) => candidate.source.segments[i] === segment),
    );
    if (!hasChild) {
      plan.excluded.push({
        path: container.source.path,
        reason: 'It cannot hold messages (\\Noselect) and none of its subfolders is migrated.',
      });
      continue;
    }
    const key = segmentsKey(container.destSegments);
    if (selectableDestinations.has(key) || planned.has(key)) continue;
    planned.add(key);
    needed.push(container);
  }
  return needed;
}

/** Merging is allowed (two "Sent" folders into one), but the admin should know it happens. */
function warnAboutMerges(selectable: Candidate[], separator: string, warnings: string[]): void {
  const sourcesByDestination = new Map<string, { dest: string[]; sources: string[] }>();
  for (const candidate of selectable) {
    const key = segmentsKey(candidate.destSegments);
    const group = sourcesByDestination.get(key) ?? { dest: candidate.destSegments, sources: [] };
    group.sources.push(candidate.source.path);
    sourcesByDestination.set(key, group);
  }
  for (const { dest, sources } of sourcesByDestination.values()) {
    if (sources.length < 2) continue;
    const names = sources.map((path) => `"${path}"`).join(', ');
    warnings.push(
      `Source folders ${names} all go to destination folder "${dest.join(separator || LOGICAL_SEPARATOR)}"; their messages are merged there.`,
    );
  }
}

/** INBOX first; otherwise segment by segment in code-point order, so a parent precedes its children. */
function compareDestinations(a: string[], b: string[], inbox: string): number {
  const inboxRank = (segments: string[]): number => (segments[0] === inbox ? 0 : 1);
  const byInbox = inboxRank(a) - inboxRank(b);
  if (byInbox !== 0) return byInbox;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}
