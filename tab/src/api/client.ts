/**
 * The one way the tab talks to /api/v1. Errors arrive as RFC 9457 problem details; they become
 * `ApiProblem`s so every screen can show the detail and name the field at fault.
 */
export class ApiProblem extends Error {
  /** Every field at fault with its own sentence, when the API names several (problem `errors`). */
  readonly errors?: { field: string; message: string }[];
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly field?: string,
    readonly body?: unknown,
  ) {
    super(detail);
    const errors = (body as { errors?: unknown } | undefined)?.errors;
    if (Array.isArray(errors)) this.errors = errors as { field: string; message: string }[];
  }
}

/** Inside Teams the API wants an Entra ID token; the embedded host needs none. */
type TokenSource = () => Promise<string | undefined>;
let tokenSource: TokenSource = async () => undefined;
export function setTokenSource(source: TokenSource): void {
  tokenSource = source;
}

/**
 * Same origin on the embedded host. In Azure the tab is a static website and the API a Function
 * App, so the build is given the API's address (VITE_MAILFERRY_API_URL, e.g. the Bicep output
 * MAILFERRY_API_URL without its trailing slash) and the Function App allows the site by CORS.
 */
export const API_BASE = (import.meta.env.VITE_MAILFERRY_API_URL as string | undefined)?.replace(/\/$/, '') || '/api/v1';

interface CallOptions {
  body?: unknown;
  csv?: string;
  signal?: AbortSignal;
}

/** Every request carries the sign-in token when the host has one (Teams), whatever it asks for. */
async function requestHeaders(accept: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = { accept };
  const token = await tokenSource();
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

export async function api<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers = await requestHeaders('application/json');
  let body: string | undefined;
  if (options.csv !== undefined) {
    headers['content-type'] = 'text/csv';
    body = options.csv;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(`${API_BASE}${path}`, { method, headers, body, signal: options.signal });
  const text = await res.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) throw toProblem(res.status, parsed);
  return parsed as T;
}

/**
 * Saves a file the API serves (e.g. the statistics CSV). A plain link cannot carry the Teams
 * token, so the file is fetched with it and handed to the browser as a Blob download.
 */
export async function downloadFile(path: string, filename: string, accept = 'text/csv'): Promise<void> {
  const res = await fetch(`${API_BASE}${path}`, { headers: await requestHeaders(accept) });
  if (!res.ok) {
    const text = await res.text();
    throw toProblem(res.status, text ? safeJson(text) : undefined);
  }
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked later, not at once: some browsers start reading the Blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), BLOB_URL_LIFETIME_MS);
}
const BLOB_URL_LIFETIME_MS = 60_000;

/** Follows `cursor` until the last page: the grid needs every item of a project. */
export async function listAll<T>(path: string): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  const joiner = path.includes('?') ? '&' : '?';
  do {
    const page = await api<{ items: T[]; cursor?: string }>(
      'GET',
      `${path}${joiner}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toProblem(status: number, body: unknown): ApiProblem {
  if (body && typeof body === 'object') {
    const p = body as { code?: string; detail?: string; field?: string; title?: string };
    return new ApiProblem(status, p.code ?? p.title ?? 'error', p.detail ?? `The server answered ${status}.`, p.field, body);
  }
  return new ApiProblem(status, 'error', typeof body === 'string' && body ? body : `The server answered ${status}.`);
}

export function asProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  return new ApiProblem(0, 'network', error instanceof Error ? error.message : String(error));
}
