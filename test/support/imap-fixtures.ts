/**
 * Endpoints and accesses pointing at a test Dovecot, and small helpers the IMAP connector tests share.
 */
import { createHash } from 'node:crypto';
import type { MailboxAccess, SourceMessage, MessageRef } from '../../api/core/connector.js';
import type { Endpoint, ImapAdminMode } from '../../api/core/model.js';
import type { DovecotServer } from './dovecot.js';

export function dovecotEndpoint(server: DovecotServer, overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    tenantId: 't1',
    id: 'ep-dovecot',
    version: 1,
    name: 'Test Dovecot',
    kind: 'imap',
    host: server.host,
    port: server.port,
    security: 'none',
    adminMode: 'none',
    createdAt: new Date(0).toISOString(),
    ...overrides,
  };
}

/** The user's own login and password. */
export function userAccess(server: DovecotServer, user: string, overrides: Partial<Endpoint> = {}): MailboxAccess {
  return { endpoint: dovecotEndpoint(server, overrides), mailbox: user, password: server.users[user] };
}

/** The master user reaching `user`'s mailbox. */
export function adminAccess(server: DovecotServer, user: string, adminMode: ImapAdminMode): MailboxAccess {
  return {
    endpoint: dovecotEndpoint(server, { adminMode, adminLogin: server.masterUser }),
    mailbox: user,
    adminPassword: server.masterPassword,
  };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** SourceMessages made from raw buffers, as a source connector would hand them over. */
export async function* asSource(raws: Buffer[], meta: (i: number) => Partial<MessageRef> = () => ({})): AsyncGenerator<SourceMessage> {
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i]!;
    const ref: MessageRef = {
      key: `1:${i + 1}`,
      uid: i + 1,
      size: raw.length,
      internalDate: Date.UTC(2023, 5, 1, 12, 0, 0) + i * 1000,
      flags: [],
      itemType: 'mail',
      ...meta(i),
    };
    yield { ref, content: raw };
  }
}
