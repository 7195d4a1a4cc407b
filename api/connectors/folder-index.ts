/**
 * A session's folder index: destination paths (compared case-insensitively, like Exchange) → the
 * folders with their server ids. Shared by the EWS and Graph connectors.
 */
import { createHash } from 'node:crypto';
import type { FolderInfo } from '../core/connector.js';

export interface IndexedFolder extends FolderInfo {
  id: string;
}

const SEPARATOR = '/';

/** The session's folder index: destination paths (compared case-insensitively, like Exchange) → folders. */
export class FolderIndex<F extends IndexedFolder> {
  private readonly byPath = new Map<string, F>();
  constructor(
    readonly rootId: string,
    folders: F[],
  ) {
    for (const f of folders) this.add(f);
  }
  add(f: F): void {
    this.byPath.set(key(f.segments), f);
  }
  get(segments: string[]): F | undefined {
    return this.byPath.get(key(segments));
  }
  byPathString(path: string): F | undefined {
    for (const f of this.byPath.values()) if (f.path === path) return f;
    return this.byPath.get(key(path.split(SEPARATOR)));
  }
  all(): F[] {
    return [...this.byPath.values()];
  }
  byId(id: string): F | undefined {
    for (const f of this.byPath.values()) if (f.id === id) return f;
    return undefined;
  }
}

function key(segments: string[]): string {
  return segments.map((s) => s.toLowerCase()).join('\u0000');
}

/** A folder's stable "UIDVALIDITY": 31 bits of a hash of its server id. */
export function hash31(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) & 0x7fffffff || 1;
}
