/**
 * The built admin console (dist/tab) served by the embedded host: every non-/api GET gets a
 * file, or index.html for client routes such as /projects/… and /end-user/credentials.
 */
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
/** Vite names everything under assets/ by content hash, so those never change under a name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashes: always revalidate it. */
const REVALIDATE = 'no-cache';

/** dist/tab under the repository root, whether this file runs compiled (dist/api/local) or from source (api/local). */
export function defaultTabDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'tab');
}

export async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string, rootDir: string): Promise<void> {
  const root = resolve(rootDir);
  const file = await resolveFile(root, pathname);
  if (!file) {
    const notBuilt = !existsSync(join(root, 'index.html'));
    res
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      .end(notBuilt ? 'The admin console is not built: run `npm run build:tab` (npm start does it for you).\n' : 'Not found.\n');
    return;
  }
  const headers = {
    'content-type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    'content-length': String(file.size),
    'cache-control': file.path.startsWith(join(root, 'assets') + sep) ? IMMUTABLE : REVALIDATE,
    'x-content-type-options': 'nosniff',
    // The end-user page carries its token in the fragment; never let a link leak the URL.
    'referrer-policy': 'no-referrer',
  };
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file.path)
    .on('error', () => res.destroy())
    .pipe(res);
}

/** The file for a URL path, never outside `root`; index.html for extension-less client routes. */
async function resolveFile(root: string, pathname: string): Promise<{ path: string; size: number } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const candidate = resolve(root, `.${decoded}`);
  if (candidate !== root && !candidate.startsWith(root + sep)) return undefined;
  const found = await fileAt(candidate);
  if (found) return found;
  // A missing /assets/x.js must be a 404, not index.html served as JavaScript.
  if (extname(decoded)) return undefined;
  return fileAt(join(root, 'index.html'));
}

async function fileAt(path: string): Promise<{ path: string; size: number } | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? { path, size: info.size } : undefined;
  } catch {
    return undefined;
  }
}
