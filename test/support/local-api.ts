/**
 * The embedded host over real HTTP for API tests: a runtime in a temp dir (no workers, so passes
 * stay Queued), its loopback server, and `call` for JSON (or text/csv when the body is a string).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedRuntime, type EmbeddedConfig } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import type { Json } from './json-answer.js';

const QUIET = { info: () => {}, warn: () => {}, error: () => {} };

export interface LocalApi {
  runtime: EmbeddedRuntime;
  /** http://127.0.0.1:PORT */
  base: string;
  /** `path` under /api/v1; a string body goes as text/csv, anything else as JSON. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }>;
  close(): Promise<void>;
}

/** `config` adds settings of the host (SMTP, public URL) to the temp data dir. */
export async function startLocalApi(name: string, config: Omit<EmbeddedConfig, 'dataDir'> = {}): Promise<LocalApi> {
  const dataDir = mkdtempSync(join(tmpdir(), `mailferry-${name}-`));
  const runtime = await EmbeddedRuntime.open({ dataDir, log: QUIET, ...config });
  let server: Server;
  let base: string;
  ({ server, url: base } = await startHttpServer(runtime.services, { port: 0 }));
  return {
    runtime,
    base,
    async call(method, path, body) {
      const csv = typeof body === 'string';
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': csv ? 'text/csv' : 'application/json' },
        body: body === undefined ? undefined : csv ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
