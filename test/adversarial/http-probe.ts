/**
 * Sending hostile requests byte for byte (node:http, so Host, odd content types and raw bodies
 * go out exactly as written) and judging the answer: a clear RFC 9457 problem, or why not.
 */
import { request } from 'node:http';
import type { SecretScanner } from './secret-scan.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Generated strings can be huge; failure messages show their start. */
export const clip = (text: string | undefined, max = 300): string =>
  text === undefined ? '' : text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

export function sendRaw(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // Node frames a GET or DELETE body only when told its length; without it the bytes would read as a second request.
    const length = req.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(req.body)) };
    const outgoing = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers: { ...length, ...req.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Everything an answer shows a client, for the secret scan. */
export function captureResponse(scanner: SecretScanner, where: string, res: RawResponse): void {
  scanner.capture(`${where} headers`, JSON.stringify(res.headers));
  scanner.capture(`${where} body`, res.text);
}

const SERVER_ERROR_DETAIL = /unexpected error/i;

/**
 * Undefined when the answer is a clear refusal: a 4xx with an `application/problem+json` body
 * whose status matches, whose `detail` is a sentence an admin can act on (not the generic server
 * error), and which names the field at fault when the refusal is about the body.
 */
export function problemViolation(res: RawResponse, options: { bodyDefect?: boolean } = {}): string | undefined {
  if (res.status >= 500) return `server error ${res.status}: ${clip(res.text)}`;
  if (res.status < 400) return `accepted with ${res.status}: ${clip(res.text)}`;
  if (!/^application\/problem\+json/.test(res.headers['content-type'] ?? ''))
    return `${res.status} with content-type ${res.headers['content-type']}, not application/problem+json: ${clip(res.text)}`;
  let body: { status?: unknown; detail?: unknown; field?: unknown; code?: unknown };
  try {
    body = JSON.parse(res.text);
  } catch {
    return `problem body is not JSON: ${clip(res.text)}`;
  }
  if (body.status !== res.status) return `problem status ${String(body.status)} differs from HTTP ${res.status}`;
  if (typeof body.code !== 'string') return 'problem has no code';
  if (typeof body.detail !== 'string' || body.detail.trim().length < 15 || SERVER_ERROR_DETAIL.test(body.detail))
    return `detail does not say what to fix: ${clip(String(body.detail))}`;
  if (options.bodyDefect && res.status === 400 && typeof body.field !== 'string')
    return `a refused body names no field: ${clip(body.detail)}`;
  return undefined;
}
