/**
 * Listings and deltas of the Graph test server: `@odata.nextLink` (`$skiptoken`) and
 * `@odata.deltaLink` (`$deltatoken`), `Prefer: odata.maxpagesize` / `$top`, `$select` (names
 * checked against the CSDL), and on item listings `$filter=receivedDateTime ge …` and
 * `$orderby=receivedDateTime desc`. Any other `$` query option is a 400, as Graph answers.
 *
 * A round of a delta covers the changes numbered (since, upTo]; a skip token remembers that
 * window, the query, and the sort key of the last entry sent, so an entry changed while a client
 * pages through leaves the window without shifting the rest, and comes in the next round.
 */
import {
  type DeltaLinkExpiry,
  type Reply,
  type RouteContext,
  GraphError,
  badRequest,
  decodeToken,
  encodeToken,
  pageSize,
} from './routing.js';

export interface Listed {
  id: string;
  seq: number;
}

export interface PageSpec<T extends Listed> {
  /** Binds tokens to what they list (a folder id, or 'folders'). */
  scope: string;
  all: T[];
  /** Removed entries (reported by a delta after its first round). */
  removed: Listed[];
  toJson(v: T): Record<string, unknown>;
  /** The path (after the version) links point at. */
  linkPath: string;
  delta: boolean;
  /** `graph.mailboxItem` or `graph.mailboxFolder`: what `$select` names are checked against. */
  entityType: string;
  /** Received time (ms) of an entry: the listing then takes `$filter`/`$orderby` on receivedDateTime (items). */
  receivedOf?: (v: T) => number;
  /** Creation time (ms): a listing that is not a delta also takes `$filter=createdDateTime ge|gt …` (items). */
  createdOf?: (v: T) => number;
  /**
   * A single-value extended property of an entry (`SystemTime 0x0E06`, …), or undefined when it
   * has none: the listing then takes `$expand=singleValueExtendedProperties($filter=id eq '…')`
   * (items, not their delta: the delta documents $select and $top only).
   */
  extendedProperty?: (v: T, id: ExtendedPropertyId) => string | undefined;
}

/** An extended property id (`SystemTime 0x0E06`) as Graph writes it back: the tag in lower-case hex without leading zeros. */
export interface ExtendedPropertyId {
  type: string;
  tag: number;
  /** `SystemTime 0xe06` */
  normalized: string;
}

interface Query {
  /** Only entries received (or created) at or after (ge) / after (gt) this time. */
  from?: { field: 'receivedDateTime' | 'createdDateTime'; ms: number; strict: boolean };
  order: 'change' | 'desc' | 'asc';
  /** The single-value extended property asked with $expand, by its id as asked. */
  expand?: string;
}

type Key = number[];

function compare(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/** Sort key: change number, or received time (removed entries, which carry none, last) then change number. */
function keyOf(order: Query['order'], seq: number, received: number | undefined): Key {
  if (order === 'change') return [seq];
  if (received === undefined) return [Number.MAX_SAFE_INTEGER, seq];
  return [order === 'desc' ? -received : received, seq];
}

function checkOptions<T extends Listed>(ctx: RouteContext, spec: PageSpec<T>): void {
  const expandable = !spec.delta && spec.extendedProperty !== undefined;
  const allowed = new Set([
    '$select',
    '$top',
    '$skiptoken',
    ...(spec.delta ? ['$deltatoken'] : []),
    ...(spec.receivedOf ? ['$filter', '$orderby'] : []),
    ...(expandable ? ['$expand'] : []),
  ]);
  for (const key of ctx.req.query.keys()) {
    if (key.startsWith('$') && !allowed.has(key))
      throw badRequest(`Query option '${key}' is not supported on this resource (it takes ${[...allowed].join(', ')}).`, 'BadRequest');
  }
  const select = ctx.req.query.get('$select');
  for (const name of select ? select.split(',').map((s) => s.trim()) : []) {
    if (!ctx.state.csdl.hasProperty(spec.entityType, name)) {
      throw badRequest(
        `Could not find a property named '${name}' on type '${spec.entityType.replace(/^graph\./, 'microsoft.graph.')}'.`,
        'BadRequest',
      );
    }
  }
}

function parseQuery<T extends Listed>(ctx: RouteContext, spec: PageSpec<T>): Query {
  const q: Query = { order: 'change' };
  const filter = ctx.req.query.get('$filter');
  if (filter !== null) {
    const fields = spec.createdOf && !spec.delta ? 'receivedDateTime|createdDateTime' : 'receivedDateTime';
    const m = new RegExp(`^(${fields})\\s+(ge|gt)\\s+(\\S+)$`, 'i').exec(filter.trim());
    const ms = m ? Date.parse(m[3]!) : Number.NaN;
    if (!m || Number.isNaN(ms))
      throw badRequest(
        `This listing filters on ${fields.replace('|', ' or ')} only: $filter=receivedDateTime ge 2026-01-01T00:00:00Z (got '${filter}').`,
        'BadRequest',
      );
    q.from = {
      field: m[1]!.toLowerCase() === 'createddatetime' ? 'createdDateTime' : 'receivedDateTime',
      ms,
      strict: m[2]!.toLowerCase() === 'gt',
    };
  }
  const orderby = ctx.req.query.get('$orderby');
  if (orderby !== null) {
    const m = /^receivedDateTime(\s+(asc|desc))?$/i.exec(orderby.trim());
    if (!m)
      throw badRequest(`This listing sorts on receivedDateTime only: $orderby=receivedDateTime desc (got '${orderby}').`, 'BadRequest');
    q.order = (m[2]?.toLowerCase() as 'asc' | 'desc' | undefined) ?? 'asc';
  }
  const expand = ctx.req.query.get('$expand');
  if (expand !== null) {
    const m = /^singleValueExtendedProperties\(\$filter=id eq '([^']+)'\)$/.exec(expand.trim());
    if (!m || !propertyId(m[1]!)) {
      throw badRequest(
        `$expand takes singleValueExtendedProperties($filter=id eq 'SystemTime 0x0E06') on this resource, one property named by its id (got '${expand}').`,
        'BadRequest',
      );
    }
    q.expand = m[1]!;
  }
  return q;
}

/** `SystemTime 0x0E06` → its parts, or undefined when it is not a property id Graph takes. */
export function propertyId(id: string): ExtendedPropertyId | undefined {
  const m = /^(\w+) 0x([0-9a-f]{1,4})$/i.exec(id.trim());
  if (!m) return undefined;
  const tag = Number.parseInt(m[2]!, 16);
  return { type: m[1]!, tag, normalized: `${m[1]!} 0x${tag.toString(16)}` };
}

const SYNC_STATE_GONE: Record<DeltaLinkExpiry['code'], string> = {
  syncStateNotFound: 'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
  resyncRequired: 'A resync is required. The delta token is no longer valid: synchronize again from the start of the listing.',
};

/** A delta token the server no longer keeps a sync state for: 410 Gone, as Exchange Online answers. */
function checkNotExpired(ctx: RouteContext, token: Record<string, unknown>): void {
  const expiry = ctx.state.deltaLinks;
  const tooOld = expiry.lifetimeMs !== undefined && ctx.state.now() - Number(token['at'] ?? 0) > expiry.lifetimeMs;
  if (Number(token['g'] ?? 0) >= expiry.generation && !tooOld) return;
  expiry.refused++;
  throw new GraphError(410, expiry.code, SYNC_STATE_GONE[expiry.code]);
}

/** One page of a listing or delta. */
export function page<T extends Listed>(ctx: RouteContext, spec: PageSpec<T>): Reply {
  const { req, state } = ctx;
  checkOptions(ctx, spec);
  const skip = req.query.get('$skiptoken');
  const delta = req.query.get('$deltatoken');
  let since = 0;
  let upTo = spec.delta ? ctx.mailbox!.seq : Number.MAX_SAFE_INTEGER;
  let after: Key | undefined;
  let query = parseQuery(ctx, spec);
  if (skip || delta) {
    const t = decodeToken((skip ?? delta)!, skip ? '$skiptoken' : '$deltatoken');
    if (t['s'] !== spec.scope)
      throw badRequest('The token belongs to another listing. Use each link only for the listing that returned it.', 'InvalidRequest');
    if (delta) checkNotExpired(ctx, t);
    since = Number(t['since'] ?? 0);
    query = (t['q'] as Query | undefined) ?? { order: 'change' };
    if (skip) {
      upTo = Number(t['upTo']);
      after = t['after'] as Key;
    }
  }
  const inWindow = (e: Listed): boolean => e.seq > since && e.seq <= upTo;
  const received = (e: T): number => spec.receivedOf?.(e) ?? 0;
  const filtered = (e: T): number => (query.from?.field === 'createdDateTime' ? (spec.createdOf?.(e) ?? 0) : received(e));
  const passes = (e: T): boolean => !query.from || (query.from.strict ? filtered(e) > query.from.ms : filtered(e) >= query.from.ms);
  const candidates = [
    ...spec.all
      .filter((e) => inWindow(e) && passes(e))
      .map((e) => ({ key: keyOf(query.order, e.seq, received(e)), entry: e as Listed, removed: false })),
    ...(since > 0
      ? spec.removed.filter(inWindow).map((e) => ({ key: keyOf(query.order, e.seq, undefined), entry: e, removed: true }))
      : []),
  ]
    .filter((c) => !after || compare(c.key, after) > 0)
    .sort((a, b) => compare(a.key, b.key));
  const { size, applied } = pageSize(req);
  const shown = candidates.slice(0, size);
  const select = req.query.get('$select');
  const keep = select ? new Set(['id', ...select.split(',').map((s) => s.trim())]) : undefined;
  const json = (c: (typeof candidates)[number]): Record<string, unknown> => {
    if (c.removed) return { '@removed': { reason: 'deleted' }, id: c.entry.id };
    const full = spec.toJson(c.entry as T);
    const shown = keep ? Object.fromEntries(Object.entries(full).filter(([k]) => keep.has(k))) : full;
    const asked = query.expand !== undefined ? propertyId(query.expand) : undefined;
    const value = asked ? spec.extendedProperty?.(c.entry as T, asked) : undefined;
    // Graph leaves the navigation property out when the item has no such property.
    return value === undefined ? shown : { ...shown, singleValueExtendedProperties: [{ id: asked!.normalized, value }] };
  };
  const link = (param: string, token: Record<string, unknown>): string => {
    // Graph writes `$skiptoken=` with the dollar sign as is (URLSearchParams would make it %24).
    const q = [
      ...(select ? [`$select=${encodeURIComponent(select)}`] : []),
      `${param}=${encodeToken({ s: spec.scope, q: query, ...token })}`,
    ];
    return `${state.base}/${req.version}/${spec.linkPath}?${q.join('&')}`;
  };
  const body: Record<string, unknown> = {
    '@odata.context': `${state.base}/${req.version}/$metadata#${spec.linkPath}`,
    value: shown.map(json),
  };
  if (candidates.length > size) body['@odata.nextLink'] = link('$skiptoken', { since, upTo, after: shown[shown.length - 1]!.key });
  else if (spec.delta) body['@odata.deltaLink'] = link('$deltatoken', { since: upTo, g: state.deltaLinks.generation, at: state.now() });
  return {
    status: 200,
    json: body,
    csdlType: `Collection(${spec.entityType})`,
    ...(applied ? { headers: { 'Preference-Applied': applied } } : {}),
  };
}
