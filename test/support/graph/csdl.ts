/**
 * Microsoft Graph's v1.0 CSDL (../shared/graph-metadata/v1.0-Prod.csdl) as a JSON checker: the
 * Graph test server checks the bodies it receives and sends for CSDL-described resources
 * (mailboxFolder, mailboxItem, exportItemResponse, mailboxItemImportSession, message, …)
 * against the property names and types Microsoft publishes, the way the EWS test server checks
 * SOAP against Microsoft's XSDs.
 *
 * The file is 3.4 MB: parsing it with @xmldom/xmldom takes 1 to 4 s on the 2-core test machine,
 * so the types extracted from it (names, base types, properties, enum members) are kept in a
 * JSON cache in the temp dir, keyed by the file's path, size and mtime; later processes read
 * that in milliseconds. `loadMs` and `fromCache` say what happened here.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { findRepoRoot } from '../ews/schema-validator.js';
import { base64Length } from './base64.js';

interface CsdlProperty {
  type: string;
  nullable: boolean;
}

interface CsdlStructured {
  kind: 'entity' | 'complex';
  base?: string;
  open: boolean;
  properties: Map<string, CsdlProperty>;
}

interface CsdlEnum {
  kind: 'enum';
  members: Set<string>;
  flags: boolean;
}

type CsdlType = CsdlStructured | CsdlEnum;

export interface CsdlModel {
  types: Map<string, CsdlType>;
  /** Milliseconds spent reading and parsing the file (or its cache). */
  loadMs: number;
  fromCache: boolean;
}

const NAMESPACE = 'microsoft.graph';
/** Bumped when the cached shape changes. */
const CACHE_VERSION = 1;
const ALIAS = 'graph';
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME_OF_DAY = /^\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?$/;
const DURATION = /^-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function defaultCsdlPath(): string {
  return join(findRepoRoot(), '..', 'shared', 'graph-metadata', 'v1.0-Prod.csdl');
}

/** `graph.x` and `microsoft.graph.x` name the same type; the model keys them as `graph.x`. */
function qualified(name: string): string {
  return name.startsWith(`${NAMESPACE}.`) ? `${ALIAS}.${name.slice(NAMESPACE.length + 1)}` : name;
}

function elements(parent: Element, local: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (n.nodeType === 1 && (n as Element).localName === local) out.push(n as Element);
  return out;
}

function structured(el: Element, kind: 'entity' | 'complex'): CsdlStructured {
  const properties = new Map<string, CsdlProperty>();
  for (const tag of ['Property', 'NavigationProperty']) {
    for (const p of elements(el, tag)) {
      // A navigation property is nullable unless it says otherwise, like a structural one.
      properties.set(p.getAttribute('Name')!, {
        type: qualified(p.getAttribute('Type')!),
        nullable: p.getAttribute('Nullable') !== 'false',
      });
    }
  }
  const base = el.getAttribute('BaseType');
  return { kind, ...(base ? { base: qualified(base) } : {}), open: el.getAttribute('OpenType') === 'true', properties };
}

function parseCsdl(path: string): Map<string, CsdlType> {
  const doc = new DOMParser().parseFromString(readFileSync(path, 'utf8'), 'text/xml');
  const types = new Map<string, CsdlType>();
  // Schema elements are children of edmx:DataServices; a live getElementsByTagName list would re-walk the whole document.
  const dataServices = elements(doc.documentElement!, 'DataServices')[0];
  for (const schema of dataServices ? elements(dataServices, 'Schema') : []) {
    const ns = schema.getAttribute('Namespace') ?? '';
    const prefix = ns === NAMESPACE ? ALIAS : ns;
    for (const el of elements(schema, 'EntityType')) types.set(`${prefix}.${el.getAttribute('Name')!}`, structured(el, 'entity'));
    for (const el of elements(schema, 'ComplexType')) types.set(`${prefix}.${el.getAttribute('Name')!}`, structured(el, 'complex'));
    for (const el of elements(schema, 'EnumType')) {
      types.set(`${prefix}.${el.getAttribute('Name')!}`, {
        kind: 'enum',
        members: new Set(elements(el, 'Member').map((m) => m.getAttribute('Name')!)),
        flags: el.getAttribute('IsFlags') === 'true',
      });
    }
  }
  return types;
}

type CachedType =
  | (Omit<CsdlStructured, 'properties'> & { properties: [string, CsdlProperty][] })
  | (Omit<CsdlEnum, 'members'> & { members: string[] });

function toJson(types: Map<string, CsdlType>): string {
  return JSON.stringify(
    [...types].map(([name, t]) => [name, t.kind === 'enum' ? { ...t, members: [...t.members] } : { ...t, properties: [...t.properties] }]),
  );
}

function fromJson(text: string): Map<string, CsdlType> {
  const entries = JSON.parse(text) as [string, CachedType][];
  return new Map(
    entries.map(([name, t]) => [
      name,
      t.kind === 'enum' ? { ...t, members: new Set(t.members) } : { ...t, properties: new Map(t.properties) },
    ]),
  );
}

export function loadCsdl(path = defaultCsdlPath()): CsdlModel {
  const started = performance.now();
  const st = statSync(path);
  const key = createHash('sha256').update(`${CACHE_VERSION}|${path}|${st.size}|${st.mtimeMs}`).digest('hex').slice(0, 16);
  const cacheFile = join(tmpdir(), `mailferry-graph-csdl-${key}.json`);
  try {
    return { types: fromJson(readFileSync(cacheFile, 'utf8')), loadMs: performance.now() - started, fromCache: true };
  } catch {
    // No cache yet (or unreadable): parse the file and leave a cache for the next process.
  }
  const types = parseCsdl(path);
  const partial = `${cacheFile}.${process.pid}`;
  writeFileSync(partial, toJson(types));
  renameSync(partial, cacheFile); // atomic: a parallel reader sees all of it or nothing
  return { types, loadMs: performance.now() - started, fromCache: false };
}

let cached: CsdlModel | undefined;

/** The v1.0 model, parsed on first use and kept for the life of the process. */
export function graphCsdl(): CsdlModel {
  cached ??= loadCsdl();
  return cached;
}

/** An OData control annotation (`@odata.context`, `x@odata.type`, `@removed`, …), not a property. */
function isAnnotation(key: string): boolean {
  return key.includes('@');
}

export class CsdlChecker {
  constructor(private readonly model: CsdlModel = graphCsdl()) {}

  /** Every property a structured type has, its own and inherited. */
  private propertyOf(typeName: string, name: string): CsdlProperty | undefined {
    for (let t = this.model.types.get(typeName); t && t.kind !== 'enum'; t = t.base ? this.model.types.get(t.base) : undefined) {
      const p = t.properties.get(name);
      if (p) return p;
    }
    return undefined;
  }

  private isOpen(typeName: string): boolean {
    for (let t = this.model.types.get(typeName); t && t.kind !== 'enum'; t = t.base ? this.model.types.get(t.base) : undefined)
      if (t.open) return true;
    return false;
  }

  private derivesFrom(typeName: string, base: string): boolean {
    for (let t: string | undefined = typeName; t; ) {
      if (t === base) return true;
      const def = this.model.types.get(t);
      t = def && def.kind !== 'enum' ? def.base : undefined;
    }
    return false;
  }

  has(typeName: string): boolean {
    return this.model.types.has(qualified(typeName));
  }

  /** Whether a structured type has (or inherits) a property or navigation property of this name. */
  hasProperty(typeName: string, name: string): boolean {
    return this.propertyOf(qualified(typeName), name) !== undefined;
  }

  /**
   * Checks `value` as an instance of `typeName` (e.g. `graph.mailboxFolder`,
   * `Collection(graph.mailboxItem)`, `Edm.String`); returns the violations, each naming the
   * JSON path and what is wrong in the words Graph uses.
   */
  check(typeName: string, value: unknown, path = '$'): string[] {
    const type = qualified(typeName);
    const collection = /^Collection\((.+)\)$/.exec(type);
    if (collection) {
      if (!Array.isArray(value)) return [`${path}: expected an array of ${collection[1]}`];
      return value.flatMap((v, i) => this.check(collection[1]!, v, `${path}[${i}]`));
    }
    if (type.startsWith('Edm.')) return this.checkPrimitive(type, value, path);
    const def = this.model.types.get(type);
    if (!def) return [`${path}: the CSDL has no type ${type}`];
    if (def.kind === 'enum') {
      if (typeof value !== 'string') return [`${path}: expected a ${type} member name`];
      const names = def.flags ? value.split(',').map((v) => v.trim()) : [value];
      const bad = names.filter((n) => !def.members.has(n));
      return bad.length ? [`${path}: '${bad.join(',')}' is not a member of ${type}`] : [];
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object of type ${type}`];
    return this.checkStructured(type, value as Record<string, unknown>, path);
  }

  private checkStructured(declared: string, value: Record<string, unknown>, path: string): string[] {
    let type = declared;
    const odataType = value['@odata.type'];
    if (typeof odataType === 'string') {
      const named = qualified(odataType.replace(/^#/, ''));
      if (!this.model.types.has(named)) return [`${path}: @odata.type names an unknown type ${named}`];
      if (!this.derivesFrom(named, declared)) return [`${path}: @odata.type ${named} does not derive from ${declared}`];
      type = named;
    }
    const out: string[] = [];
    const open = this.isOpen(type);
    for (const [key, v] of Object.entries(value)) {
      if (isAnnotation(key)) continue;
      const prop = this.propertyOf(type, key);
      if (!prop) {
        if (!open) out.push(`${path}: The property '${key}' does not exist on type '${type.replace(/^graph\./, `${NAMESPACE}.`)}'.`);
        continue;
      }
      if (v === null) {
        if (!prop.nullable) out.push(`${path}.${key}: null is not allowed`);
        continue;
      }
      out.push(...this.check(prop.type, v, `${path}.${key}`));
    }
    return out;
  }

  private checkPrimitive(type: string, v: unknown, path: string): string[] {
    const bad = (what: string): string[] => [`${path}: expected ${what} (${type}), got ${JSON.stringify(v)?.slice(0, 60)}`];
    switch (type) {
      case 'Edm.String':
        return typeof v === 'string' ? [] : bad('a string');
      case 'Edm.Boolean':
        return typeof v === 'boolean' ? [] : bad('true or false');
      case 'Edm.Int32':
        return Number.isInteger(v) && (v as number) >= INT32_MIN && (v as number) <= INT32_MAX ? [] : bad('a 32-bit integer');
      case 'Edm.Int16':
      case 'Edm.Byte':
      case 'Edm.SByte':
      case 'Edm.Int64':
        return Number.isInteger(v) ? [] : bad('an integer');
      case 'Edm.Double':
      case 'Edm.Single':
      case 'Edm.Decimal':
        return typeof v === 'number' || v === 'NaN' || v === 'INF' || v === '-INF' ? [] : bad('a number');
      case 'Edm.DateTimeOffset':
        return typeof v === 'string' && ISO_DATE_TIME.test(v) ? [] : bad('an ISO 8601 date and time with offset');
      case 'Edm.Date':
        return typeof v === 'string' && ISO_DATE.test(v) ? [] : bad('a date YYYY-MM-DD');
      case 'Edm.TimeOfDay':
        return typeof v === 'string' && TIME_OF_DAY.test(v) ? [] : bad('a time of day');
      case 'Edm.Duration':
        return typeof v === 'string' && DURATION.test(v) ? [] : bad('an ISO 8601 duration');
      case 'Edm.Guid':
        return typeof v === 'string' && GUID.test(v) ? [] : bad('a GUID');
      case 'Edm.Binary':
      case 'Edm.Stream':
        return typeof v === 'string' && base64Length(v, { urlSafe: true }) !== undefined ? [] : bad('base64 text');
      default:
        // Edm.Geography…, Edm.Untyped: any JSON.
        return [];
    }
  }
}
