/**
 * FindItem (messages.xsd `FindItemType`): Shallow or Associated traversal of each parent folder,
 * `t:IndexedPageItemView` paging with Exchange's EWSFindCountLimit (at most 1000 items per
 * response: a larger page is cut there and IncludesLastItemInRange turns false), `m:SortOrder`,
 * and restrictions: IsEqualTo / IsNotEqualTo / IsGreaterThan(OrEqualTo) / IsLessThan(OrEqualTo) /
 * Exists / Contains on item fields (dates, numbers, booleans, strings, Categories) and on extended
 * properties (the mapped MAPI tags included), combined with And / Or / Not.
 * Without SortOrder items come newest DateTimeReceived first (Exchange's default view).
 */
import {
  type ExtendedUri,
  type StoredItem,
  NOT_IN_FIND,
  fieldUriToElement,
  getExtended,
  itemXml,
  itemsIn,
  readExtendedUri,
  readItemShape,
} from '../items.js';
import { EwsError, type EwsContext, folderIdElements, perMessage, resolveFolder, responseEnvelope, versionAtLeast } from '../soap.js';
import { NS, type XmlElement, child } from '../xml.js';
import { renderContext } from './item-common.js';

/** EWSFindCountLimit: the most items one FindItem response carries (Exchange's default throttling policy). */
export const FIND_COUNT_LIMIT = 1000;

type ValueType = 'date' | 'number' | 'bool' | 'string';
interface Values {
  type: ValueType;
  values: string[];
}

const DATE_FIELDS =
  /^(DateTime\w*|LastModifiedTime|Start|End|OriginalStart|DueDate|StartDate|CompleteDate|ReminderDueBy|Birthday|WeddingAnniversary|PostedTime|AssignedTime)$/;
const NUMBER_FIELDS = new Set([
  'Size',
  'PercentComplete',
  'ActualWork',
  'TotalWork',
  'ReminderMinutesBeforeStart',
  'AppointmentSequenceNumber',
]);

function extendedType(t: string): ValueType {
  if (t === 'SystemTime') return 'date';
  if (/^(Integer|Long|Short|Double|Float|Currency|ApplicationTime)$/.test(t)) return 'number';
  if (t === 'Boolean') return 'bool';
  return 'string';
}

function fieldValues(item: StoredItem, uri: string): Values {
  const name = fieldUriToElement(uri);
  const type: ValueType = DATE_FIELDS.test(name)
    ? 'date'
    : NUMBER_FIELDS.has(name)
      ? 'number'
      : /^(Is|Has)[A-Z]/.test(name)
        ? 'bool'
        : 'string';
  const one = (v: string | undefined): Values => ({ type, values: v === undefined ? [] : [v] });
  switch (name) {
    case 'DateTimeReceived':
      return one(item.received);
    case 'DateTimeSent':
      return one(item.sent);
    case 'DateTimeCreated':
      return one(item.created);
    case 'LastModifiedTime':
      return one(item.lastModified);
    case 'ItemClass':
      return one(item.itemClass);
    case 'Size':
      return one(String(item.size));
    case 'IsRead':
      return one(String(item.isRead));
    case 'IsDraft':
      return one(String(item.isDraft));
    case 'IsAssociated':
      return one(String(item.isAssociated));
    case 'HasAttachments':
      return one(String(item.fields.has('Attachments')));
    case 'Importance':
      return one(item.fields.get('Importance')?.t ?? 'Normal');
    case 'Categories':
      return { type, values: (item.fields.get('Categories')?.c ?? []).map((c) => c.t ?? '') };
    case 'Flag':
      return one(item.flag?.status ?? 'NotFlagged');
    default:
      return one(item.fields.get(name)?.t);
  }
}

function pathValues(item: StoredItem, path: XmlElement): Values {
  if (path.local === 'ExtendedFieldURI') {
    const uri: ExtendedUri = readExtendedUri(path);
    const p = getExtended(item, uri);
    return { type: extendedType(uri.type), values: p ? (p.values ?? [p.value ?? '']) : [] };
  }
  if (path.local === 'FieldURI') return fieldValues(item, path.attrs['FieldURI']!);
  throw new EwsError('ErrorInvalidRestriction', `The EWS test server does not restrict on ${path.local}.`);
}

function compare(a: string, b: string, type: ValueType): number {
  switch (type) {
    case 'date':
      return Date.parse(a) - Date.parse(b);
    case 'number':
      return Number(a) - Number(b);
    case 'bool':
      return Number(a === 'true' || a === '1') - Number(b === 'true' || b === '1');
    default: {
      const x = a.toLowerCase();
      const y = b.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

type Predicate = (item: StoredItem) => boolean;

const COMPARISONS: Record<string, (c: number) => boolean> = {
  IsEqualTo: (c) => c === 0,
  IsNotEqualTo: (c) => c !== 0,
  IsGreaterThan: (c) => c > 0,
  IsGreaterThanOrEqualTo: (c) => c >= 0,
  IsLessThan: (c) => c < 0,
  IsLessThanOrEqualTo: (c) => c <= 0,
};

function isPath(el: XmlElement): boolean {
  return el.ns === NS.types && (el.local === 'FieldURI' || el.local === 'ExtendedFieldURI' || el.local === 'IndexedFieldURI');
}

export function predicate(expr: XmlElement): Predicate {
  const kind = expr.local;
  if (kind === 'And' || kind === 'Or') {
    const parts = expr.children.map(predicate);
    return kind === 'And' ? (i) => parts.every((p) => p(i)) : (i) => parts.some((p) => p(i));
  }
  if (kind === 'Not') {
    const inner = predicate(expr.children[0]!);
    return (i) => !inner(i);
  }
  const path = expr.children.find(isPath);
  if (!path) throw new EwsError('ErrorInvalidRestriction', `${kind} needs a property path.`);
  if (kind === 'Exists') return (i) => pathValues(i, path).values.length > 0;
  if (kind === 'Contains') {
    const constant = child(expr, NS.types, 'Constant')?.attrs['Value'] ?? '';
    const mode = expr.attrs['ContainmentMode'] ?? 'Substring';
    const exact = (expr.attrs['ContainmentComparison'] ?? 'IgnoreCase') === 'Exact';
    const norm = (s: string): string => (exact ? s : s.toLowerCase());
    const needle = norm(constant);
    const test = (v: string): boolean => {
      const hay = norm(v);
      if (mode === 'FullString') return hay === needle;
      if (mode === 'Prefixed') return hay.startsWith(needle);
      if (mode === 'PrefixOnWords') return hay.split(/\s+/).some((w) => w.startsWith(needle));
      return hay.includes(needle);
    };
    return (i) => pathValues(i, path).values.some(test);
  }
  const cmp = COMPARISONS[kind];
  if (!cmp) throw new EwsError('ErrorInvalidRestriction', `The EWS test server does not implement the ${kind} restriction.`);
  const constant = child(child(expr, NS.types, 'FieldURIOrConstant'), NS.types, 'Constant')?.attrs['Value'];
  if (constant === undefined) throw new EwsError('ErrorInvalidRestriction', 'The EWS test server compares properties with constants only.');
  return (i) => {
    const v = pathValues(i, path);
    return v.values.some((x) => cmp(compare(x, constant, v.type)));
  };
}

export function sorter(sortEl: XmlElement | undefined): (a: StoredItem, b: StoredItem) => number {
  const orders = (sortEl?.children ?? []).map((fo) => ({ path: fo.children.find(isPath)!, desc: fo.attrs['Order'] === 'Descending' }));
  if (orders.length === 0) {
    return (a, b) => compare(b.received, a.received, 'date') || b.order - a.order;
  }
  return (a, b) => {
    for (const o of orders) {
      const va = pathValues(a, o.path);
      const vb = pathValues(b, o.path);
      const x = va.values[0];
      const y = vb.values[0];
      // Items without the property sort first ascending, like an empty value.
      const c = x === undefined || y === undefined ? Number(x !== undefined) - Number(y !== undefined) : compare(x, y, va.type);
      if (c !== 0) return o.desc ? -c : c;
    }
    return a.order - b.order;
  };
}

export function findItem(req: XmlElement, ctx: EwsContext): string {
  const traversal = req.attrs['Traversal'];
  const shape = readItemShape(child(req, NS.messages, 'ItemShape'));
  const view = child(req, NS.messages, 'IndexedPageItemView');
  const messages = folderIdElements(child(req, NS.messages, 'ParentFolderIds')).map((idEl) =>
    perMessage('FindItem', () => {
      const unsupported = [
        'FractionalPageItemView',
        'SeekToConditionPageItemView',
        'CalendarView',
        'ContactsView',
        'GroupBy',
        'DistinguishedGroupBy',
        'QueryString',
      ].find((n) => child(req, NS.messages, n));
      if (unsupported) throw new EwsError('ErrorInvalidRequest', `The EWS test server does not implement ${unsupported} in FindItem.`);
      for (const f of [...shape.fields, ...shape.indexed.keys()]) {
        if (NOT_IN_FIND.has(f)) throw new EwsError('ErrorInvalidPropertyRequest', `The property ${f} can't be used in FindItem requests.`);
      }
      if (traversal === 'SoftDeleted' && !versionAtLeast(ctx, 'Exchange2010_SP1')) {
        throw new EwsError('ErrorInvalidRequest', 'SoftDeleted traversal requires Exchange2010_SP1 or later.');
      }
      if (traversal === 'Deep') throw new EwsError('ErrorInvalidRequest', 'Deep traversal of items is only valid for search folders.');
      const { mbx, folder } = resolveFolder(ctx, idEl);
      const restriction = child(req, NS.messages, 'Restriction')?.children[0];
      const match = restriction ? predicate(restriction) : () => true;
      const all = traversal === 'SoftDeleted' ? [] : itemsIn(mbx, folder.id, traversal === 'Associated');
      const found = all.filter(match).sort(sorter(child(req, NS.messages, 'SortOrder')));
      const total = found.length;
      const requested = view?.attrs['MaxEntriesReturned'] !== undefined ? Number(view.attrs['MaxEntriesReturned']) : Infinity;
      if (requested < 1) throw new EwsError('ErrorInvalidPagingMaxRows', 'The specified MaxEntriesReturned is invalid.');
      const max = Math.min(requested, FIND_COUNT_LIMIT);
      const offset = Number(view?.attrs['Offset'] ?? 0);
      if (offset < 0) throw new EwsError('ErrorInvalidIndexedPagingParameters', 'Offset must not be negative.');
      const fromEnd = view?.attrs['BasePoint'] === 'End';
      const from = fromEnd ? Math.max(0, total - offset - max) : Math.min(offset, total);
      const to = fromEnd ? Math.max(0, total - offset) : Math.min(from + max, total);
      const page = found.slice(from, to);
      const nextOffset = offset + page.length;
      const last = fromEnd ? from === 0 : to >= total;
      const rc = renderContext(ctx, mbx, true);
      return (
        `<m:RootFolder IndexedPagingOffset="${nextOffset}" TotalItemsInView="${total}" IncludesLastItemInRange="${last}">` +
        `<t:Items>${page.map((i) => itemXml(rc, i, shape)).join('')}</t:Items></m:RootFolder>`
      );
    }),
  );
  return responseEnvelope('FindItem', messages);
}
