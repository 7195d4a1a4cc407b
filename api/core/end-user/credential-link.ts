/**
 * Signed, expiring, single-use links that let an end user give the source password of their
 * own mailbox (status "Waiting For End User"). The token carries who it is for (tenant, item,
 * pass, source address) and when it expires, signed with HMAC-SHA256 under a server key; the
 * item record keeps only the token's id, its attempt count and when it was used.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError, NotFoundError, ValidationError } from '../errors.js';
import type { Item } from '../model.js';
import type { Clock, Collection } from '../ports.js';
import { updateDoc } from '../update-doc.js';

export type EndUserRequest = NonNullable<Item['endUserRequest']>;

const DAY_MS = 86_400_000;
/** How long a link works unless the host says otherwise: a working week plus a weekend. */
export const DEFAULT_LINK_TTL_MS = 7 * DAY_MS;
/** Password submissions per link before it dies: enough for typos, too few for guessing. */
export const MAX_LINK_ATTEMPTS = 5;
/** HMAC-SHA256 keys shorter than the hash output weaken it (RFC 2104 §3). */
export const MIN_LINK_KEY_BYTES = 32;
const TOKEN_ID_BYTES = 16;
const TOKEN_VERSION = 'v1';
/** Domain separation: a MAC made for some other use of the same key never verifies here. */
const MAC_LABEL = 'mailferry/end-user-credential-link/';

/**
 * The server keys links are signed with. The first key signs; every key verifies, so a host can
 * rotate by putting the new key first and keeping the old one until its links have expired.
 */
export class LinkKeyring {
  private readonly keys: Buffer[];

  constructor(current: Uint8Array, ...previous: Uint8Array[]) {
    this.keys = [current, ...previous].map((key) => {
      if (key.byteLength < MIN_LINK_KEY_BYTES) {
        throw new ValidationError(
          `A credential-link key needs at least ${MIN_LINK_KEY_BYTES} bytes (got ${key.byteLength}); generate one with LinkKeyring.generateKey().`,
          { field: 'linkKey' },
        );
      }
      return Buffer.from(key);
    });
  }

  /** A fresh random key for a host to keep in its data dir (or Key Vault). */
  static generateKey(): Buffer {
    return randomBytes(MIN_LINK_KEY_BYTES);
  }

  sign(data: string): Buffer {
    return mac(this.keys[0]!, data);
  }

  /** Constant-time comparison against every key. */
  verify(data: string, signature: Buffer): boolean {
    let valid = false;
    for (const key of this.keys) {
      const expected = mac(key, data);
      // Lengths are public (always 32 for SHA-256); only the bytes are compared in constant time.
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) valid = true;
    }
    return valid;
  }
}

function mac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(MAC_LABEL).update(data).digest();
}

/** What a link is bound to. */
export interface LinkSubject {
  tenantId: string;
  itemId: string;
  passId: string;
  /** The item's source address: a link never outlives a change of the address it was sent for. */
  address: string;
}

export interface LinkClaims extends LinkSubject {
  tokenId: string;
  expiresAt: Date;
}

/** Why a link was refused; the message of the error says what the end user can do. */
export type LinkRefusal = 'tampered' | 'expired' | 'used' | 'superseded' | 'exhausted' | 'mismatch';

export class CredentialLinkError extends AuthError {
  constructor(
    readonly refusal: LinkRefusal,
    message: string,
  ) {
    super(message, { field: 'token' });
  }
}

const ASK_ADMIN = 'Ask the administrator who is moving your mailbox to send you a new link.';

export class CredentialLinks {
  constructor(
    private readonly keyring: LinkKeyring,
    private readonly clock: Clock,
    private readonly ttlMs: number = DEFAULT_LINK_TTL_MS,
  ) {}

  /** A new token and the record to keep on the item (which retires any earlier link). */
  issue(subject: LinkSubject): { token: string; claims: LinkClaims; request: EndUserRequest } {
    const now = this.clock.now();
    const claims: LinkClaims = {
      ...subject,
      tokenId: randomBytes(TOKEN_ID_BYTES).toString('base64url'),
      expiresAt: new Date(now.getTime() + this.ttlMs),
    };
    const payload = Buffer.from(
      JSON.stringify({
        j: claims.tokenId,
        t: claims.tenantId,
        i: claims.itemId,
        p: claims.passId,
        a: claims.address,
        e: claims.expiresAt.getTime(),
      }),
    ).toString('base64url');
    const signed = `${TOKEN_VERSION}.${payload}`;
    const token = `${signed}.${this.keyring.sign(signed).toString('base64url')}`;
    const request: EndUserRequest = {
      tokenId: claims.tokenId,
      passId: claims.passId,
      requestedAt: now.toISOString(),
      expiresAt: claims.expiresAt.toISOString(),
      attempts: 0,
    };
    return { token, claims, request };
  }

  /** Checks signature and expiry only (no store access). Throws CredentialLinkError. */
  read(token: string): LinkClaims {
    const parts = token.split('.');
    const tampered = () =>
      new CredentialLinkError(
        'tampered',
        `This link is not valid: it may have been cut short or changed. Open it exactly as it appears in the e-mail. ${ASK_ADMIN}`,
      );
    if (parts.length !== 3 || parts[0] !== TOKEN_VERSION) throw tampered();
    const signed = `${parts[0]}.${parts[1]}`;
    if (!this.keyring.verify(signed, Buffer.from(parts[2]!, 'base64url'))) throw tampered();
    const claims = parseClaims(parts[1]!);
    if (!claims) throw tampered();
    if (this.clock.now() >= claims.expiresAt) {
      throw new CredentialLinkError('expired', `This link expired on ${formatInstant(claims.expiresAt)}. ${ASK_ADMIN}`);
    }
    return claims;
  }

  /**
   * Counts one password submission against the link, atomically (optimistic concurrency), and
   * returns the item as it is now. Refuses used, superseded or exhausted links.
   */
  async claimAttempt(items: Collection<Item>, claims: LinkClaims): Promise<{ item: Item; attemptsLeft: number }> {
    const item = await updateDoc(items, claims.tenantId, claims.itemId, (current) => {
      const request = this.check(current, claims);
      return { ...current, endUserRequest: { ...request, attempts: request.attempts + 1 } };
    }).catch(notFoundAsMismatch);
    return { item, attemptsLeft: MAX_LINK_ATTEMPTS - item.endUserRequest!.attempts };
  }

  /**
   * Marks the link used and applies `change` in the same write, so two simultaneous correct
   * submissions cannot both succeed: the loser gets "already used".
   */
  async consume(items: Collection<Item>, claims: LinkClaims, change: (item: Item) => Item): Promise<Item> {
    const now = this.clock.now().toISOString();
    return updateDoc(items, claims.tenantId, claims.itemId, (current) => {
      // Not `check`: the attempt being accepted may be the last one allowed.
      const request = this.live(current, claims);
      return { ...change(current), endUserRequest: { ...request, usedAt: now } };
    }).catch(notFoundAsMismatch);
  }

  /** The item's link record, when `claims` names the item's current, unused link with tries left. */
  check(item: Item, claims: LinkClaims): EndUserRequest {
    const request = this.live(item, claims);
    if (request.attempts >= MAX_LINK_ATTEMPTS) throw exhausted();
    return request;
  }

  private live(item: Item, claims: LinkClaims): EndUserRequest {
    const request = item.endUserRequest;
    if (item.sourceAddress.toLowerCase() !== claims.address.toLowerCase() || !request) {
      throw new CredentialLinkError(
        'mismatch',
        `This link no longer matches a mailbox waiting to be moved (the mailbox was changed or removed). ${ASK_ADMIN}`,
      );
    }
    if (request.tokenId !== claims.tokenId) {
      throw new CredentialLinkError(
        'superseded',
        'A newer link was sent for this mailbox, and only the newest one works. Use the link in the most recent e-mail.',
      );
    }
    if (request.usedAt) {
      throw new CredentialLinkError(
        'used',
        `This link was already used on ${formatInstant(new Date(request.usedAt))}; each link works once. If you need to change what you entered, ask your administrator for a new link.`,
      );
    }
    return request;
  }
}

function exhausted(): CredentialLinkError {
  return new CredentialLinkError(
    'exhausted',
    `The password was wrong ${MAX_LINK_ATTEMPTS} times, so this link no longer works. ${ASK_ADMIN}`,
  );
}

function notFoundAsMismatch(error: unknown): never {
  if (!(error instanceof NotFoundError)) throw error;
  throw new CredentialLinkError(
    'mismatch',
    `This link no longer matches a mailbox waiting to be moved (the mailbox was removed from the migration). ${ASK_ADMIN}`,
  );
}

function parseClaims(payload: string): LinkClaims | undefined {
  try {
    const raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { j, t, i, p, a, e } = raw;
    if (
      typeof j !== 'string' ||
      typeof t !== 'string' ||
      typeof i !== 'string' ||
      typeof p !== 'string' ||
      typeof a !== 'string' ||
      typeof e !== 'number'
    )
      return undefined;
    return { tokenId: j, tenantId: t, itemId: i, passId: p, address: a, expiresAt: new Date(e) };
  } catch {
    return undefined;
  }
}

/** `2026-03-09 09:00 UTC`: unambiguous for readers in any locale. */
export function formatInstant(instant: Date): string {
  return `${instant.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
