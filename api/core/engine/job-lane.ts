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
    const { pipelineDepth, ewsRequestsInFlight, imapStallSeconds, modernAuth, recipientMappings, ewsStreamToGraph } = this.options;
    const sideOptions = {
      tuning: { pipelineDepth, requestsInFlight: ewsRequestsInFlight, stallSeconds: imapStallSeconds },
      modernAuth,
      recipientMappings,
      ewsStreamToGraph,
    };
    // Both sides log in at once: a delta with nothing new is mostly these round trips.
    const [source, dest] = await Promise.allSettled([
      openSide(this.deps, this.records, 'source', this.signal, sideOptions),
      openSide(this.deps, this.records, 'destination', this.signal, sideOptions),
    ]);
    if (source.status === 'rejected' || dest.status === 'rejected') {
      await Promise.all([source, dest].map((side) => (side.status === 'fulfilled' ? closeQuietly(side.value) : undefined)));
      // The source's failure first, as when the sides opened one after the other.
      throw source.status === 'rejected' ? source.reason : (dest as PromiseRejectedResult).reason;
    }
    this.source = source.value;
    this.dest = dest.value;
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
