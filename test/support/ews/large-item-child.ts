/**
 * Child process for the 100 MB item test: copies the single message of one mailbox's Drafts to
 * another mailbox through the EWS connector (spooled streamed read, streamed base64 write) and
 * prints one JSON line with its own peak RSS (VmHWM), so the measure is the connector's alone:
 * the EWS test server and its copy of the item live in the parent.
 * Args: EWS URL, admin login, admin password, source mailbox, destination mailbox.
 */
import { readFileSync } from 'node:fs';
import type { SourceMessage } from '../../../api/core/connector.js';
import type { Endpoint } from '../../../api/core/model.js';
import { EwsConnector } from '../../../api/connectors/ews/index.js';

const [url, adminLogin, adminPassword, from, to] = process.argv.slice(2) as [string, string, string, string, string];
const endpoint: Endpoint = {
  tenantId: 'local',
  id: 'ews',
  version: 1,
  name: 'EWS',
  kind: 'exchange',
  host: url,
  adminMode: 'delegation',
  adminLogin,
  createdAt: new Date(0).toISOString(),
};
const connector = new EwsConnector();
const src = await connector.open({ endpoint, mailbox: from, adminPassword });
const dst = await connector.open({ endpoint, mailbox: to, adminPassword });
const folder = (await src.listFolders()).find((f) => f.path === 'Drafts')!;
const refs = await src.listMessages(folder);
const target = await dst.ensureFolder(['Large'], 'mail');
let streamed = false;
async function* reads(): AsyncGenerator<SourceMessage> {
  for await (const read of src.readMessages(folder, refs, { formats: ['rfc822'] })) {
    if ('error' in read) throw read.error;
    streamed = typeof read.content === 'function';
    yield read;
  }
}
const results = [];
for await (const written of dst.appendMessages(target.path, reads())) results.push(written.error?.message ?? 'ok');
await Promise.all([src.close(), dst.close()]);
const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
process.stdout.write(`${JSON.stringify({ results, streamed, size: refs[0]?.size, peakRssMB: hwm / 1024 / 1024 })}\n`);
