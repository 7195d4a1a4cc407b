/**
 * The Graph test server's routes through an independent client (msal-node token, plain fetch):
 * mailbox id lookup, folders (list, get, childFolders, create, delta), items and items/delta with
 * nextLink/deltaLink and Prefer: odata.maxpagesize, exportItems → importItem byte-exact, beta
 * importMime (a received message, not a draft), PATCH and $value, $batch. Every response body
 * the server sent was checked against the CSDL (close() would reject otherwise).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { appToken, graphClient, mime, type TestGraphClient } from './graph-client.js';

const ALICE = 'alice@contoso.com';
const BOB = 'bob@contoso.com';
const SHARED = 'shared@contoso.com';
const APP = { clientId: '3f0b6a52-1111-4222-8333-944455556666', secret: 'graph~secret' };

interface Page {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

describe('Graph test server routes', () => {
  let server: GraphTestServer;
  let graph: TestGraphClient;
  let aliceMbx: string;
  let bobMbx: string;
  beforeAll(async () => {
    server = await startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: [ALICE, BOB], shared: [SHARED], apps: [APP] });
    graph = graphClient(server, await appToken(server, APP.clientId, APP.secret));
    aliceMbx = await graph.mailboxId(ALICE);
    bobMbx = await graph.mailboxId(BOB);
  });
  afterAll(async () => {
    await server?.close();
  });
  const mbxPath = (id: string): string => `/v1.0/admin/exchange/mailboxes/${encodeURIComponent(id)}`;

  it('looks up primary and shared mailbox ids as MBX:…@tenant', async () => {
    expect(aliceMbx).toMatch(new RegExp(`^MBX:[0-9a-f-]{36}@${server.tenantId}$`));
    expect(await graph.mailboxId(SHARED)).toBe(server.mailboxId(SHARED));
    const byObjectId = await graph.call(`/v1.0/users/${server.objectId(ALICE)}/settings/exchange`);
    expect(byObjectId.body['primaryMailboxId']).toBe(aliceMbx);
    const nobody = await graph.call('/v1.0/users/nobody@contoso.com/settings/exchange');
    expect(nobody.status).toBe(404);
    expect(nobody.body).toMatchObject({ error: { code: 'Request_ResourceNotFound' } });
  });

  it('lists the top-level folders with types; gets one; creates folders and child folders', async () => {
    const top = await graph.call<Page>(`${mbxPath(aliceMbx)}/folders`, { headers: { Prefer: 'odata.maxpagesize=50' } });
    expect(top.status).toBe(200);
    const byName = new Map(top.body.value.map((f) => [f['displayName'], f]));
    expect(byName.get('Inbox')).toMatchObject({ type: 'IPF.Note', childFolderCount: 0, totalItemCount: 0 });
    expect(byName.get('Calendar')).toMatchObject({ type: 'IPF.Appointment' });
    expect(byName.get('Contacts')).toMatchObject({ type: 'IPF.Contact' });
    const inboxId = byName.get('Inbox')!['id'] as string;

    const created = await graph.call(`${mbxPath(aliceMbx)}/folders`, { body: { displayName: 'Projects', type: 'IPF.Note' } });
    expect(created.status).toBe(201);
    const child = await graph.call(`${mbxPath(aliceMbx)}/folders/${created.body['id'] as string}/childFolders`, {
      body: { displayName: '2026' },
    });
    expect(child.status).toBe(201);
    expect(child.body).toMatchObject({ parentFolderId: created.body['id'], type: 'IPF.Note', displayName: '2026' });
    const again = await graph.call(`${mbxPath(aliceMbx)}/folders`, { body: { displayName: 'projects' } });
    expect(again.status).toBe(409);

    const got = await graph.call(`${mbxPath(aliceMbx)}/folders/${created.body['id'] as string}`);
    expect(got.body).toMatchObject({ displayName: 'Projects', childFolderCount: 1 });
    const kids = await graph.call<Page>(`${mbxPath(aliceMbx)}/folders('${created.body['id'] as string}')/childFolders`);
    expect(kids.body.value.map((f) => f['displayName'])).toEqual(['2026']);
    const missing = await graph.call(`${mbxPath(aliceMbx)}/folders/AAMknot-a-folder`);
    expect(missing.status).toBe(404);
    expect(inboxId).toBeTruthy();
  });

  it('folders/delta pages with Prefer: odata.maxpagesize and ends in a deltaLink that later returns only new folders', async () => {
    const seen: string[] = [];
    let link: string | undefined = `${mbxPath(bobMbx)}/folders/delta`;
    let deltaLink: string | undefined;
    let pages = 0;
    while (link) {
      const r: { status: number; headers: Headers; body: Page } = await graph.call<Page>(link, {
        headers: { Prefer: 'odata.maxpagesize=4' },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('preference-applied')).toBe('odata.maxpagesize=4');
      expect(r.body.value.length).toBeLessThanOrEqual(4);
      seen.push(...r.body.value.map((f) => f['displayName'] as string));
      pages++;
      link = r.body['@odata.nextLink'];
      deltaLink = r.body['@odata.deltaLink'];
    }
    expect(pages).toBe(3); // 11 well-known folders, 4 a page
    expect(seen).toContain('Sent Items');
    server.seed.folder(BOB, { displayName: 'Later', parent: 'inbox' });
    const next = await graph.call<Page>(deltaLink!);
    expect(next.body.value.map((f) => f['displayName'])).toEqual(['Later']);
  });

  it('items/delta: nextLink pages, a deltaLink with nothing new returns nothing, then only what changed (new and removed)', async () => {
    const folder = server.seed.folder(ALICE, { displayName: 'Delta', parent: 'inbox' });
    const ids = Array.from({ length: 5 }, (_, i) => server.seed.message(ALICE, folder, mime(`m${i}`)));
    const base = `${mbxPath(aliceMbx)}/folders/${folder}/items/delta`;
    const first = await graph.call<Page>(base, { headers: { Prefer: 'odata.maxpagesize=2' } });
    expect(first.body.value).toHaveLength(2);
    expect(first.body.value[0]).toMatchObject({ type: 'IPM.Note', categories: [] });
    expect(first.body['@odata.nextLink']).toMatch(/\$skiptoken=/);
    const got = first.body.value.map((v) => v['id']);
    let r = first;
    while (r.body['@odata.nextLink']) {
      r = await graph.call<Page>(r.body['@odata.nextLink'], { headers: { Prefer: 'odata.maxpagesize=2' } });
      got.push(...r.body.value.map((v) => v['id']));
    }
    expect(got).toEqual(ids);
    const deltaLink = r.body['@odata.deltaLink']!;
    expect(deltaLink).toMatch(/\$deltatoken=/);

    const quiet = await graph.call<Page>(deltaLink);
    expect(quiet.body.value).toEqual([]);
    const added = server.seed.message(ALICE, folder, mime('new one'));
    server.seed.deleteItem(ALICE, ids[0]!);
    const changed = await graph.call<Page>(quiet.body['@odata.deltaLink']!);
    expect(changed.body.value).toEqual([expect.objectContaining({ id: added }), { '@removed': { reason: 'deleted' }, id: ids[0] }]);
    const plain = await graph.call<Page>(`${mbxPath(aliceMbx)}/folders/${folder}/items?$top=3`);
    expect(plain.body.value).toHaveLength(3);
    expect(plain.body['@odata.nextLink']).toBeDefined();
    expect(plain.body['@odata.deltaLink']).toBeUndefined();
  });

  it('answers a delta link it no longer keeps 410 Gone (syncStateNotFound, resyncRequired), by switch or by age; a fresh listing gives a link that works', async () => {
    const folder = server.seed.folder(ALICE, { displayName: 'Expiring', parent: 'inbox' });
    server.seed.message(ALICE, folder, mime('kept'));
    const base = `${mbxPath(aliceMbx)}/folders/${folder}/items/delta`;
    const first = await graph.call<Page>(base);
    const old = first.body['@odata.deltaLink']!;
    expect((await graph.call<Page>(old)).status).toBe(200);

    server.expireDeltaLinks();
    const gone = await graph.call<{ error: { code: string; message: string; innerError: Record<string, string> } }>(old);
    expect(gone.status).toBe(410);
    expect(gone.body.error).toMatchObject({
      code: 'syncStateNotFound',
      message: expect.stringMatching(/delta token is expired/),
      innerError: { 'request-id': expect.any(String), date: expect.any(String) },
    });
    expect(server.deltaLinksRefused).toBe(1);
    const fresh = await graph.call<Page>(base);
    expect(fresh.body.value).toHaveLength(1);
    expect((await graph.call<Page>(fresh.body['@odata.deltaLink']!)).status).toBe(200);

    server.expireDeltaLinks('resyncRequired');
    const resync = await graph.call<{ error: { code: string } }>(fresh.body['@odata.deltaLink']!);
    expect([resync.status, resync.body.error.code]).toEqual([410, 'resyncRequired']);
    const skip = await graph.call<Page>(base, { headers: { Prefer: 'odata.maxpagesize=1' } });
    expect(skip.status).toBe(200); // a listing from scratch is never refused

    const aging = await startGraphServer({ tenant: 'contoso.onmicrosoft.com', users: [ALICE], apps: [APP], deltaLinkLifetimeMs: 60_000 });
    try {
      const client = graphClient(aging, await appToken(aging, APP.clientId, APP.secret));
      const link = (await client.call<Page>(`${mbxPath(await client.mailboxId(ALICE))}/folders/inbox/items/delta`)).body[
        '@odata.deltaLink'
      ]!;
      aging.clock.advance(59_000);
      expect((await client.call<Page>(link)).status).toBe(200);
      aging.clock.advance(2_000);
      const aged = await client.call<{ error: { code: string } }>(link);
      expect([aged.status, aged.body.error.code]).toEqual([410, 'syncStateNotFound']);
    } finally {
      await aging.close();
    }
  });

  it('items/delta takes $select (CSDL names only), $filter=receivedDateTime ge … and $orderby=receivedDateTime desc, kept across pages and rounds', async () => {
    const folder = server.seed.folder(ALICE, { displayName: 'Dated', parent: 'inbox' });
    const day = (d: number) => `2026-05-${String(d).padStart(2, '0')}T08:00:00.000Z`;
    const ids = [3, 1, 4, 5, 2].map((d) => server.seed.message(ALICE, folder, mime(`day ${d}`), { receivedDateTime: day(d) }));
    const base = `${mbxPath(aliceMbx)}/folders/${folder}/items/delta?$select=changeKey,type&$filter=receivedDateTime ge ${day(2)}&$orderby=receivedDateTime desc`;
    const seen: Record<string, unknown>[] = [];
    let r = await graph.call<Page>(base, { headers: { Prefer: 'odata.maxpagesize=2' } });
    seen.push(...r.body.value);
    while (r.body['@odata.nextLink']) {
      r = await graph.call<Page>(r.body['@odata.nextLink'], { headers: { Prefer: 'odata.maxpagesize=2' } });
      seen.push(...r.body.value);
    }
    // Days 5, 4, 3, 2 (day 1 filtered out), newest first, only the selected properties and id.
    expect(seen.map((v) => v['id'])).toEqual([ids[3], ids[2], ids[0], ids[4]]);
    expect(Object.keys(seen[0]!).sort()).toEqual(['changeKey', 'id', 'type']);
    const later = server.seed.message(ALICE, folder, mime('day 6'), { receivedDateTime: day(6) });
    server.seed.message(ALICE, folder, mime('old'), { receivedDateTime: '2026-01-01T00:00:00.000Z' });
    const next = await graph.call<Page>(r.body['@odata.deltaLink']!);
    expect(next.body.value.map((v) => v['id'])).toEqual([later]);

    const unknown = await graph.call<{ error: { message: string } }>(`${mbxPath(aliceMbx)}/folders/${folder}/items/delta?$select=subject`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe("Could not find a property named 'subject' on type 'microsoft.graph.mailboxItem'.");
    expect((await graph.call(`${mbxPath(aliceMbx)}/folders/${folder}/items?$expand=singleValueExtendedProperties`)).status).toBe(400);
    expect((await graph.call(`${mbxPath(aliceMbx)}/folders/${folder}/items/delta?$filter=subject eq 'x'`)).status).toBe(400);
    expect((await graph.call(`${mbxPath(aliceMbx)}/folders/delta?$filter=receivedDateTime ge ${day(1)}`)).status).toBe(400);
  });

  it('items expands the delivery time (SystemTime 0x0E06) and filters on createdDateTime; items/delta takes neither; PATCH sets the delivery time', async () => {
    const folder = server.seed.folder(ALICE, { displayName: 'Delivered', parent: 'inbox' });
    const dated = server.seed.message(ALICE, folder, mime('dated'), { receivedDateTime: '2025-02-03T04:05:06.000Z' });
    const noted = server.seed.item(ALICE, folder, { type: 'IPM.StickyNote', subject: 'no delivery time' });
    const expand = `$expand=${encodeURIComponent("singleValueExtendedProperties($filter=id eq 'SystemTime 0x0E06')")}`;
    const listed = await graph.call<Page>(`${mbxPath(aliceMbx)}/folders/${folder}/items?$select=id&${expand}`);
    expect(listed.status).toBe(200);
    expect(listed.body.value).toEqual([
      { id: dated, singleValueExtendedProperties: [{ id: 'SystemTime 0xe06', value: '2025-02-03T04:05:06Z' }] },
      { id: noted }, // Graph leaves the property out for an item without it
    ]);
    const created = server.read.item(ALICE, noted)!;
    const since = await graph.call<Page>(
      `${mbxPath(aliceMbx)}/folders/${folder}/items?$filter=${encodeURIComponent(`createdDateTime gt ${new Date(Date.now() + 60_000).toISOString()}`)}`,
    );
    expect([since.status, since.body.value]).toEqual([200, []]);
    const all = await graph.call<Page>(
      `${mbxPath(aliceMbx)}/folders/${folder}/items?$filter=${encodeURIComponent('createdDateTime ge 2020-01-01T00:00:00Z')}`,
    );
    expect(all.body.value.map((v) => v['id'])).toEqual([dated, created.id]);
    for (const bad of [
      `items/delta?${expand}`,
      `items/delta?$filter=${encodeURIComponent('createdDateTime ge 2020-01-01T00:00:00Z')}`,
      `items?$expand=singleValueExtendedProperties($filter=id eq 'nonsense')`,
    ]) {
      expect((await graph.call(`${mbxPath(aliceMbx)}/folders/${folder}/${bad}`)).status, bad).toBe(400);
    }

    const patch = (body: unknown) => graph.call(`/v1.0/users/${ALICE}/messages/${dated}`, { method: 'PATCH', body });
    const redated = await patch({ singleValueExtendedProperties: [{ id: 'SystemTime 0x0E06', value: '2019-12-31T23:59:59Z' }] });
    expect(redated.status).toBe(200);
    expect(redated.body).toMatchObject({ receivedDateTime: '2019-12-31T23:59:59.000Z' });
    expect(
      (await graph.call<Page>(`${mbxPath(aliceMbx)}/folders/${folder}/items?$select=id&${expand}`)).body.value.find(
        (v) => v['id'] === dated,
      ),
    ).toEqual({
      id: dated,
      singleValueExtendedProperties: [{ id: 'SystemTime 0xe06', value: '2019-12-31T23:59:59Z' }],
    });
    expect((await patch({ singleValueExtendedProperties: [{ id: 'String 0x0037', value: 'subject' }] })).status).toBe(400);
    expect((await patch({ singleValueExtendedProperties: [{ id: 'SystemTime 0x0E06', value: 'yesterday' }] })).status).toBe(400);
  });

  it('exportItems gives per-item data or error values; importItem through importUrl (no Authorization) re-exports byte for byte', async () => {
    const id = server.seed.message(ALICE, 'inbox', mime('round trip'), { isRead: true, flagged: true, categories: ['Blue'] });
    const cal = server.seed.item(ALICE, 'calendar', {
      type: 'IPM.Appointment',
      subject: 'Weekly',
      body: 'RRULE:FREQ=WEEKLY;COUNT=10 with 2 exceptions',
    });
    const exported = await graph.call<{ value: Record<string, unknown>[] }>(`${mbxPath(aliceMbx)}/exportItems`, {
      body: { ItemIds: [id, cal, 'AAMkAGmissing'] },
    });
    expect(exported.status).toBe(200);
    expect(exported.body.value[2]).toEqual({ itemId: 'AAMkAGmissing', error: { code: 'ErrorItemNotFound', message: expect.any(String) } });
    const lowerCase = await graph.call<{ value: unknown[] }>(`${mbxPath(aliceMbx)}/exportItems`, { body: { itemIds: [id] } });
    expect(lowerCase.body.value).toHaveLength(1);

    const session = await graph.call(`${mbxPath(bobMbx)}/createImportSession`, { method: 'POST' });
    expect(session.status).toBe(201);
    const importUrl = session.body['importUrl'] as string;
    expect(importUrl).toMatch(/\/api\/gv1\.0\/Mailboxes\('MBX:.+'\)\/importItem\?authtoken=/);
    const bobInbox = server.read.folder(BOB, 'inbox')!.id;
    const bobCalendar = server.read.folder(BOB, 'calendar')!.id;
    const post = (body: unknown) =>
      fetch(importUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    for (const [value, folderId] of [
      [exported.body.value[0]!, bobInbox],
      [exported.body.value[1]!, bobCalendar],
    ] as const) {
      const res = await post({ FolderId: folderId, Mode: 'create', Data: value['data'] });
      expect(res.status).toBe(200);
      const made = (await res.json()) as { itemId: string; changeKey: string };
      const again = await graph.call<{ value: Record<string, unknown>[] }>(`${mbxPath(bobMbx)}/exportItems`, {
        body: { ItemIds: [made.itemId] },
      });
      expect(again.body.value[0]!['data']).toBe(value['data']);
    }
    const imported = server.read.items(BOB, 'inbox').find((i) => i.subject === 'round trip')!;
    expect(imported).toMatchObject({ isRead: true, flagged: true, categories: ['Blue'], isDraft: false, origin: 'importItem' });
    expect(imported.mime!.equals(mime('round trip'))).toBe(true);

    // Mode update: same id, new content, needs the current ChangeKey.
    const stale = await post({ Mode: 'update', ItemId: imported.id, ChangeKey: 'stale', Data: exported.body.value[1]!['data'] });
    expect(stale.status).toBe(409);
    const updated = await post({
      Mode: 'update',
      ItemId: imported.id,
      ChangeKey: imported.changeKey,
      Data: exported.body.value[1]!['data'],
    });
    expect(updated.status).toBe(200);
    expect(server.read.item(BOB, imported.id)!.type).toBe('IPM.Appointment');

    const junk = await post({ FolderId: bobInbox, Mode: 'create', Data: Buffer.from('not an export').toString('base64') });
    expect(junk.status).toBe(400);
    expect(await junk.json()).toMatchObject({ error: { code: 'ErrorCorruptData' } });
    const extra = await post({ FolderId: bobInbox, Mode: 'create', Data: exported.body.value[0]!['data'], Extra: 1 });
    expect(extra.status).toBe(400);
  });

  it('exportItems takes at most 20 ids', async () => {
    const ids = Array.from({ length: 21 }, (_, i) => `AAMkAG${i}`);
    const r = await graph.call(`${mbxPath(aliceMbx)}/exportItems`, { body: { ItemIds: ids } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/at most 20/);
  });

  it('beta importMime stores a received (non-draft) message byte for byte; PATCH sets read state, flag and categories; $value returns the MIME', async () => {
    const bytes = mime('imported as MIME', 'Line one.\r\nLine two.\r\n');
    const r = await graph.call(`/beta/users/${BOB}/mailFolders/inbox/importMime`, {
      body: bytes.toString('base64'),
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ isDraft: false, subject: 'imported as MIME', receivedDateTime: '2026-06-01T10:00:00.000Z' });
    const stored = server.read.item(BOB, r.body['id'] as string)!;
    expect(stored.mime!.equals(bytes)).toBe(true);
    expect(stored.origin).toBe('importMime');

    const patched = await graph.call(`/v1.0/users/${BOB}/messages/${r.body['id'] as string}`, {
      method: 'PATCH',
      body: { isRead: true, flag: { flagStatus: 'flagged' }, categories: ['Red'] },
    });
    expect(patched.status).toBe(200);
    expect(server.read.item(BOB, r.body['id'] as string)).toMatchObject({ isRead: true, flagged: true, categories: ['Red'] });
    const value = await graph.call(`/v1.0/users/${BOB}/messages/${r.body['id'] as string}/$value`);
    expect(value.body).toBe(bytes.toString('utf8'));

    const json = await graph.call(`/beta/users/${BOB}/mailFolders/inbox/importMime`, { body: { mime: 'x' } });
    expect(json.status).toBe(400);
    const onV1 = await graph.call(`/v1.0/users/${BOB}/mailFolders/inbox/importMime`, {
      body: bytes.toString('base64'),
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(onV1.status).toBe(400);
  });

  it('$batch runs up to 20 requests and refuses 21', async () => {
    const inbox = server.read.folder(ALICE, 'inbox')!.id;
    const r = await graph.call<{ responses: { id: string; status: number; body: Record<string, unknown> }[] }>('/v1.0/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: `/admin/exchange/mailboxes/${aliceMbx}/folders/${inbox}` },
          { id: '2', method: 'GET', url: `/users/${BOB}/settings/exchange` },
          {
            id: '3',
            method: 'POST',
            url: `/admin/exchange/mailboxes/${aliceMbx}/folders`,
            headers: { 'Content-Type': 'application/json' },
            body: { displayName: 'Batched' },
            dependsOn: ['1'],
          },
        ],
      },
    });
    expect(r.status).toBe(200);
    const byId = new Map(r.body.responses.map((x) => [x.id, x]));
    expect(byId.get('1')).toMatchObject({ status: 200, body: { displayName: 'Inbox' } });
    expect(byId.get('2')).toMatchObject({ status: 200, body: { primaryMailboxId: bobMbx } });
    expect(byId.get('3')).toMatchObject({ status: 201, body: { displayName: 'Batched' } });
    const tooMany = await graph.call('/v1.0/$batch', {
      body: { requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: `/users/${BOB}/settings/exchange` })) },
    });
    expect(tooMany.status).toBe(400);
  });
});
