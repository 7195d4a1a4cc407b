/**
 * JSON batching (`POST /v1.0/$batch`): at most 20 requests; each goes through the same rules as
 * a direct call, so a batch still reaches a mailbox 4 at a time (the 5th in flight gets its own
 * 429 inside the batch, as Exchange Online answers). Requests run together unless `dependsOn`
 * orders them; non-JSON bodies travel base64 both ways, as Graph's batch format says.
 */
import type { Dispatcher } from './dispatch.js';
import type { Caller } from './permissions.js';
import { type GraphRequest, type Reply, badRequest } from './routing.js';
import { parsePath } from './dispatch.js';

export const MAX_BATCH = 20;

interface BatchEntry {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

function entries(body: Buffer): BatchEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The batch body is not valid JSON.', 'BadRequest');
  }
  const requests = (parsed as { requests?: unknown }).requests;
  if (!Array.isArray(requests) || requests.length === 0) throw badRequest('A batch needs a non-empty "requests" array.', 'BadRequest');
  if (requests.length > MAX_BATCH)
    throw badRequest(`The batch holds ${requests.length} requests; the limit is ${MAX_BATCH}.`, 'BadRequest');
  const ids = new Set<string>();
  for (const r of requests as BatchEntry[]) {
    if (typeof r?.id !== 'string' || typeof r.method !== 'string' || typeof r.url !== 'string')
      throw badRequest('Each batch request needs string id, method and url.', 'BadRequest');
    if (ids.has(r.id)) throw badRequest(`The batch request id '${r.id}' is used twice.`, 'BadRequest');
    ids.add(r.id);
  }
  return requests as BatchEntry[];
}

function innerRequest(version: 'v1.0' | 'beta', e: BatchEntry): GraphRequest | undefined {
  const url = new URL(e.url.replace(/^\/?/, `/${version}/`), 'http://batch.invalid');
  const path = parsePath(url.pathname);
  if (!path) return undefined;
  const headers = Object.fromEntries(Object.entries(e.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const json = !headers['content-type'] || /json/i.test(headers['content-type']);
  let body = Buffer.alloc(0);
  if (e.body !== undefined) {
    body = json ? Buffer.from(typeof e.body === 'string' ? e.body : JSON.stringify(e.body), 'utf8') : Buffer.from(String(e.body), 'base64');
  }
  return { method: e.method.toUpperCase(), version: path.version, segments: path.segments, query: url.searchParams, headers, body };
}

function asEntry(id: string, reply: Reply): Record<string, unknown> {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (reply.raw) {
    headers['Content-Type'] = reply.contentType ?? 'application/octet-stream';
    return { id, status: reply.status, headers, body: reply.raw.toString('base64') };
  }
  if (reply.json !== undefined) headers['Content-Type'] = 'application/json';
  return { id, status: reply.status, headers, ...(reply.json !== undefined ? { body: reply.json } : {}) };
}

export async function runBatch(version: 'v1.0' | 'beta', body: Buffer, caller: Caller, dispatch: Dispatcher): Promise<Reply> {
  const list = entries(body);
  const done = new Map<string, Promise<Reply>>();
  const one = async (e: BatchEntry): Promise<Reply> => {
    for (const dep of e.dependsOn ?? []) {
      const before = done.get(dep);
      if (!before)
        return {
          status: 400,
          json: { error: { code: 'BadRequest', message: `dependsOn names '${dep}', which is not earlier in the batch.` } },
        };
      if ((await before).status >= 400)
        return { status: 424, json: { error: { code: 'FailedDependency', message: `The request it depends on (${dep}) failed.` } } };
    }
    const inner = innerRequest(version, e);
    if (!inner) return { status: 400, json: { error: { code: 'BadRequest', message: `Invalid request URL '${e.url}'.` } } };
    return dispatch({ ...inner, batched: true }, caller);
  };
  for (const e of list) done.set(e.id, one(e));
  const responses = await Promise.all(list.map(async (e) => asEntry(e.id, await done.get(e.id)!)));
  return { status: 200, json: { responses } };
}
