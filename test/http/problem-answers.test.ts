import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalApi, type LocalApi } from '../support/local-api.js';
import { sendRaw } from '../adversarial/http-probe.js';

/** Refusals the adversarial suite found without a clear problem (issue 10, "A standing adversarial suite"). */
describe('every refusal is a problem that says what to fix', () => {
  let api: LocalApi;
  let base: string;

  beforeAll(async () => {
    api = await startLocalApi('problems');
    base = api.base;
  });
  afterAll(() => api.close());

  it('a method the path does not take is a 405 whose problem says 405, lists the methods, and does not echo the path', async () => {
    // A client that puts the link token in the URL (the end-user routes take it in a POST body).
    const res = await sendRaw(base, { method: 'GET', path: '/api/v1/end-user/request?token=v1.secret-link-token.sig' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ status: 405, field: 'method' });
    expect(body.detail).toMatch(/takes POST/);
    expect(res.text).not.toContain('secret-link-token');
  });

  it('a body that is not a JSON object names the body as the field at fault', async () => {
    const res = await sendRaw(base, {
      method: 'POST',
      path: '/api/v1/endpoints',
      headers: { 'content-type': 'application/json' },
      body: '"just a string"',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ field: 'body', detail: expect.stringMatching(/^body: .*expected object/) });
  });

  it('a JSON null is not taken for "no options" by routes whose fields are all optional', async () => {
    const endpoint = await sendRaw(base, {
      method: 'POST',
      path: '/api/v1/endpoints',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Unreachable', kind: 'imap', host: 'imap.invalid' }),
    });
    const { id } = JSON.parse(endpoint.text);
    const res = await sendRaw(base, {
      method: 'POST',
      path: `/api/v1/endpoints/${id}/validate`,
      headers: { 'content-type': 'application/json' },
      body: 'null',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ field: 'body' });
  });

  it('a URL over the parser limit is a 431 problem, and the host keeps serving', async () => {
    const res = await sendRaw(base, { method: 'GET', path: `/api/v1/projects/${'x'.repeat(20_000)}` });
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.text)).toMatchObject({ status: 431, field: 'url', detail: expect.stringMatching(/16 KiB limit/) });
    expect((await sendRaw(base, { method: 'GET', path: '/api/v1/health' })).status).toBe(200);
  });
});
