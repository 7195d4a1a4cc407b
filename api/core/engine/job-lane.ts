import type { MailboxSession } from '../connector.js';
import type { SupportOptions } from '../support-options.js';
import { closeQuietly, openSide, type EngineDeps, type JobRecords } from './job-context.js';

/** One pair of sessions (source and destination) working through folders. */
export class Lane {
  source?: MailboxSession;
  dest?: MailboxSession;

  constructor(
    private readonly deps: EngineDeps,
    private readonly records: JobRecords,
    private readonly options: SupportOptions,
    private readonly signal: AbortSignal,
  ) {}

  async reopen(): Promise<void> {
    await this.close();
    const { pipelineDepth, ewsRequestsInFlight, modernAuth, recipientMappings, ewsStreamToGraph } = this.options;
    const sideOptions = { tuning: { pipelineDepth, requestsInFlight: ewsRequestsInFlight }, modernAuth, recipientMappings, ewsStreamToGraph };
    this.source = await openSide(this.deps, this.records, 'source', this.signal, sideOptions);
    this.dest = await openSide(this.deps, this.records, 'destination', this.signal, sideOptions);
  }

  async close(): Promise<void> {
    await Promise.all([closeQuietly(this.source), closeQuietly(this.dest)]);
    this.source = this.dest = undefined;
  }

  async destinationLayout() {
    const folders = await this.dest!.listFolders();
    return { folders, separator: folders.find((f) => f.separator)?.separator ?? '/' };
  }
}
