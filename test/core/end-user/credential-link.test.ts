import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../api/adapters/sqlite/sqlite-store.js';
import {
  CredentialLinkError,
  CredentialLinks,
  DEFAULT_LINK_TTL_MS,
  LinkKeyring,
  MAX_LINK_ATTEMPTS,
  type LinkRefusal,
} from '../../../api/core/end-user/credential-link.js';
import { ValidationError } from '../../../api/core/errors.js';
import type { Item } from '../../../api/core/model.js';
import { makeTempDir, type TempDir } from '../../adapters/temp-dir.js';
import { TestClock } from '../../support/test-clock.js';

const TENANT = 'tenant-a';
const SUBJECT = { tenantId: TENANT, itemId: 'item-1', passId: 'pass-1', address: 'alice@src.test' };

function refusalOf(action: () => unknown): LinkRefusal | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof CredentialLinkError) return error.refusal;
    throw error;
  }
}

async function asyncRefusalOf(action: () => Promise<unknown>): Promise<LinkRefusal | undefined> {
  try {
    await action();
    return undefined;
  } catch (error) {
    if (error instanceof CredentialLinkError) return error.refusal;
    throw error;
  }
}

/** Flips one character of a base64url segment to another valid one. */
function flip(segment: string, index: number): string {
  const c = segment[index]!;
  return segment.slice(0, index) + (c === 'A' ? 'B' : 'A') + segment.slice(index + 1);
}

describe('credential links', () => {
  let clock: TestClock;
  let keyring: LinkKeyring;
  let links: CredentialLinks;

  beforeEach(() => {
    clock = new TestClock();
    keyring = new LinkKeyring(LinkKeyring.generateKey());
    links = new CredentialLinks(keyring, clock);
  });

  it('round-trips the tenant, item, pass, address and a 7-day expiry by default', () => {
    const { token, claims } = links.issue(SUBJECT);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(links.read(token)).toEqual(claims);
    expect(claims).toMatchObject(SUBJECT);
    expect(claims.expiresAt.getTime() - clock.now().getTime()).toBe(DEFAULT_LINK_TTL_MS);
  });

  it('works until the instant before expiry and is refused from the expiry on', () => {
    const { token } = links.issue(SUBJECT);
    clock.advance(DEFAULT_LINK_TTL_MS - 1);
    expect(refusalOf(() => links.read(token))).toBeUndefined();
    clock.advance(1);
    expect(refusalOf(() => links.read(token))).toBe('expired');
    expect(() => links.read(token)).toThrow(/expired on 2026-03-09 09:00 UTC.*new link/);
  });

  it('honours a shorter lifetime chosen by the host', () => {
    const hourLinks = new CredentialLinks(keyring, clock, 3_600_000);
    const { token } = hourLinks.issue(SUBJECT);
    clock.advance(3_600_000);
    expect(refusalOf(() => hourLinks.read(token))).toBe('expired');
  });

  it('refuses a token whose payload or signature was changed, or that was cut short', () => {
    const { token } = links.issue(SUBJECT);
    const [version, payload, signature] = token.split('.') as [string, string, string];
    expect(refusalOf(() => links.read(`${version}.${flip(payload, 5)}.${signature}`))).toBe('tampered');
    expect(refusalOf(() => links.read(`${version}.${payload}.${flip(signature, 3)}`))).toBe('tampered');
    expect(refusalOf(() => links.read(token.slice(0, -4)))).toBe('tampered');
    expect(refusalOf(() => links.read(`${version}.${payload}`))).toBe('tampered');
    expect(refusalOf(() => links.read('not a token'))).toBe('tampered');
  });

  it('refuses a re-signed payload that binds another item or address, unless signed with the server key', () => {
    const { token } = links.issue(SUBJECT);
    const [version, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, i: 'item-2', a: 'bob@src.test' })).toString('base64url');
    expect(refusalOf(() => links.read(`${version}.${forged}.${signature}`))).toBe('tampered');
    const otherServer = new CredentialLinks(new LinkKeyring(LinkKeyring.generateKey()), clock);
    expect(refusalOf(() => otherServer.read(token))).toBe('tampered');
  });

  it('still accepts links signed with a previous key after rotation, and signs with the new one', () => {
    const oldKey = LinkKeyring.generateKey();
    const { token } = new CredentialLinks(new LinkKeyring(oldKey), clock).issue(SUBJECT);
    const rotated = new CredentialLinks(new LinkKeyring(LinkKeyring.generateKey(), oldKey), clock);
    expect(rotated.read(token).itemId).toBe('item-1');
    expect(refusalOf(() => new CredentialLinks(new LinkKeyring(oldKey), clock).read(rotated.issue(SUBJECT).token))).toBe('tampered');
  });

  it('refuses keys shorter than 32 bytes', () => {
    expect(() => new LinkKeyring(Buffer.alloc(16))).toThrow(ValidationError);
  });

  describe('against the item record', () => {
    let dir: TempDir;
    let store: SqliteStore;

    beforeEach(async () => {
      dir = makeTempDir();
      store = SqliteStore.open(dir.file('mailferry.db'));
      await store.items.insert(itemDoc());
    });
    afterEach(async () => {
      await store.close();
      dir.remove();
    });

    async function issueOnItem() {
      const issued = links.issue(SUBJECT);
      const item = (await store.items.get(TENANT, SUBJECT.itemId))!;
      await store.items.replace({ ...item, endUserRequest: issued.request });
      return issued;
    }

    it('is bound to the item and its source address: a changed address retires the link', async () => {
      const { claims } = await issueOnItem();
      const item = (await store.items.get(TENANT, SUBJECT.itemId))!;
      expect(refusalOf(() => links.check(item, claims))).toBeUndefined();
      expect(refusalOf(() => links.check({ ...item, sourceAddress: 'ALICE@src.test' }, claims))).toBeUndefined();
      expect(refusalOf(() => links.check({ ...item, sourceAddress: 'mallory@src.test' }, claims))).toBe('mismatch');
      expect(refusalOf(() => links.check({ ...item, endUserRequest: undefined }, claims))).toBe('mismatch');
    });

    it('counts attempts and dies after the fifth', async () => {
      const { claims } = await issueOnItem();
      for (let left = MAX_LINK_ATTEMPTS - 1; left >= 0; left--) {
        expect((await links.claimAttempt(store.items, claims)).attemptsLeft).toBe(left);
      }
      expect(await asyncRefusalOf(() => links.claimAttempt(store.items, claims))).toBe('exhausted');
      expect((await store.items.get(TENANT, SUBJECT.itemId))!.endUserRequest!.attempts).toBe(MAX_LINK_ATTEMPTS);
    });

    it('is single use: after it is consumed every further use is refused as used', async () => {
      const { claims } = await issueOnItem();
      await links.claimAttempt(store.items, claims);
      clock.advance(60_000);
      const consumed = await links.consume(store.items, claims, (item) => ({ ...item, status: 'Queued' }));
      expect(consumed.endUserRequest!.usedAt).toBe(clock.now().toISOString());
      expect(consumed.status).toBe('Queued');
      expect(await asyncRefusalOf(() => links.claimAttempt(store.items, claims))).toBe('used');
      expect(await asyncRefusalOf(() => links.consume(store.items, claims, (item) => item))).toBe('used');
    });

    it('lets only one of two simultaneous consumers win', async () => {
      const { claims } = await issueOnItem();
      const outcomes = await Promise.allSettled(
        [0, 1].map(() => links.consume(store.items, claims, (item) => ({ ...item, status: 'Queued' }))),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect((loser.reason as CredentialLinkError).refusal).toBe('used');
    });

    it('retires an earlier link when a newer one is issued for the item', async () => {
      const first = await issueOnItem();
      await issueOnItem();
      expect(await asyncRefusalOf(() => links.claimAttempt(store.items, first.claims))).toBe('superseded');
    });

    it('refuses a link whose item was deleted', async () => {
      const { claims } = await issueOnItem();
      await store.items.delete(TENANT, SUBJECT.itemId);
      expect(await asyncRefusalOf(() => links.claimAttempt(store.items, claims))).toBe('mismatch');
    });
  });
});

function itemDoc(): Omit<Item, 'version'> {
  return {
    tenantId: TENANT,
    id: SUBJECT.itemId,
    projectId: 'project-1',
    sourceAddress: SUBJECT.address,
    destinationAddress: 'alice@dst.test',
    endUserCredentials: true,
    options: [],
    status: 'Waiting For End User',
    statistics: { copied: 0, skipped: 0, failed: 0, bytes: 0, passes: 0, folders: 0, durationMs: 0 },
    createdAt: new Date(0).toISOString(),
  };
}
