/**
 * Issue 10 #5: a per-item password goes only to the endpoint it was entered for. An editor who
 * re-points the project's source at a server of their own must not receive users' passwords on
 * the next verify. Real Dovecots for the project; the "editor's server" is a bare TCP listener
 * that answers like an IMAP server and keeps every byte it is sent.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../api/core/model.js';
import { updateDoc } from '../../api/core/update-doc.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { startHttpServer } from '../../api/local/http-server.js';
import { createMigrationFixture, waitForPass, type MigrationFixture } from '../support/migration-fixture.js';

const VICTIM = { source: 'vic@src.test', dest: 'vic@dst.test', password: 'Victim-Pw-7731' };

/** Greets, says NO to any login, and records everything a client sends. */
async function startCredentialTrap(): Promise<{ port: number; received: () => string; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
    socket.on('data', (data) => {
      chunks.push(data);
      for (const line of data.toString('latin1').split('\r\n').filter(Boolean)) {
        const tag = line.split(' ')[0];
        socket.write(
          / CAPABILITY/i.test(line) ? `* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n` : `${tag} NO [AUTHENTICATIONFAILED] no\r\n`,
        );
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(chunks).toString('latin1'),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('per-item passwords stay with the endpoint they were entered for', () => {
  let fx: MigrationFixture;
  let trap: Awaited<ReturnType<typeof startCredentialTrap>>;
  let base: string;
  let close: () => void;
  const ids: Record<string, string> = {};
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const item = () => fx.runtime.store.items.get(LOCAL_TENANT, ids.item!) as Promise<Item>;

  beforeAll(async () => {
    fx = await createMigrationFixture();
    await Promise.all([fx.source.addUser(VICTIM.source, VICTIM.password), fx.destination.addUser(VICTIM.dest, 'dest-pw')]);
    trap = await startCredentialTrap();
    const { server, url } = await startHttpServer(fx.runtime.services, { port: 0 });
    base = url;
    close = () => server.close();
    ids.trap = (
      await call('POST', '/endpoints', {
        name: "Editor's own server",
        kind: 'imap',
        host: '127.0.0.1',
        port: trap.port,
        security: 'none',
        adminMode: 'none',
      })
    ).json.id;
    ids.item = (
      await call('POST', `/projects/${fx.projectId}/items`, {
        sourceAddress: VICTIM.source,
        destinationAddress: VICTIM.dest,
        sourceLogin: VICTIM.source,
        sourcePassword: VICTIM.password,
      })
    ).json.id;
  });
  afterAll(async () => {
    close?.();
    await trap?.close();
    await fx?.close();
  });

  it('refuses to re-point the source while an item holds a source password, saying how many and how to proceed', async () => {
    expect(ids.trap && ids.item).toBeTruthy();
    const res = await call('PATCH', `/projects/${fx.projectId}`, { sourceEndpointId: ids.trap });
    expect(res.status).toBe(409);
    expect(res.json.detail).toMatch(/1 item holds a source password entered for the current source endpoint/);
    expect(res.json.detail).toMatch(/"clearItemPasswords": true/);
    expect((await call('GET', `/projects/${fx.projectId}`)).json.sourceEndpointId).toBe(fx.sourceEndpointId);
    expect((await item()).sourceSecretEndpointId).toBe(fx.sourceEndpointId);
  });

  it("never sends a password to another endpoint, even when the project was re-pointed behind the service's back", async () => {
    await updateDoc(fx.runtime.store.projects, LOCAL_TENANT, fx.projectId, (p) => ({ ...p, sourceEndpointId: ids.trap! }));
    const started = await call('POST', `/projects/${fx.projectId}/passes`, { kind: 'verify', itemIds: [ids.item] });
    expect(started.status).toBe(202);
    fx.runtime.startWorkers();
    await waitForPass(fx.runtime, started.json.pass.id);
    const after = await item();
    expect(after.status).toBe('Failed');
    expect(after.lastRun?.reason).toMatch(/entered for another source endpoint than "Editor's own server"/);
    const seen = trap.received();
    for (const form of [VICTIM.password, Buffer.from(`\0${VICTIM.source}\0${VICTIM.password}`).toString('base64')])
      expect(seen).not.toContain(form);
    await updateDoc(fx.runtime.store.projects, LOCAL_TENANT, fx.projectId, (p) => ({ ...p, sourceEndpointId: fx.sourceEndpointId }));
  });

  it('re-points the source when asked to clear the passwords, and the item no longer holds one', async () => {
    const res = await call('PATCH', `/projects/${fx.projectId}`, { sourceEndpointId: ids.trap, clearItemPasswords: true });
    expect(res.status).toBe(200);
    expect(res.json.sourceEndpointId).toBe(ids.trap);
    expect(res.json).not.toHaveProperty('clearItemPasswords');
    expect((await call('GET', `/items/${ids.item}`)).json).toMatchObject({ hasSourcePassword: false, sourceLogin: VICTIM.source });
    const cleared = await item();
    expect([cleared.sourceSecretRef, cleared.sourceSecretEndpointId]).toEqual([undefined, undefined]);
    // A password typed now is for the endpoint the project points at now.
    expect((await call('PATCH', `/items/${ids.item}`, { sourcePassword: 'Typed-For-The-New-One' })).status).toBe(200);
    expect((await item()).sourceSecretEndpointId).toBe(ids.trap);
  });
});
