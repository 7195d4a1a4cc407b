import { formatBytes } from '../core/human-units.js';
import { messagesPerSecond, sumCounts } from '../core/counts.js';
import type { Pass } from '../core/model.js';
import type { EmbeddedRuntime } from './embedded-runtime.js';
import { LOCAL_TENANT } from './embedded-runtime.js';

const POLL_MS = 500;

/** Exit codes: scripts tell success, partial success and failure apart. */
export const EXIT = { ok: 0, failed: 1, partial: 2, usage: 64 } as const;

/** Runs workers in this process until the pass ends, drawing one progress line on a TTY. */
export async function runUntilPassEnds(runtime: EmbeddedRuntime, passId: string, options: { quiet?: boolean } = {}): Promise<Pass> {
  runtime.startWorkers();
  const started = Date.now();
  const tty = process.stderr.isTTY && !options.quiet;
  for (;;) {
    await runtime.tick();
    const pass = await runtime.services.passes.getPass(LOCAL_TENANT, passId);
    if (tty) {
      const { items } = await runtime.services.progress(LOCAL_TENANT, pass.projectId);
      const mine = items.filter((i) => pass.itemIds.includes(i.id));
      const { copied, failed, bytes } = sumCounts(mine.flatMap((i) => (i.progress ? [i.progress] : [])));
      const folder = mine.find((i) => i.status === 'Running')?.progress?.currentFolder ?? '';
      process.stderr.write(`\r\x1b[K${pass.kind}: ${copied} copied, ${failed} failed, ${formatBytes(bytes)}, ${messagesPerSecond(copied, Date.now() - started).toFixed(0)} msg/s ${folder}`);
    }
    if (pass.status === 'completed' || pass.status === 'stopped') {
      if (tty) process.stderr.write('\n');
      return pass;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export function exitCodeFor(pass: Pass): number {
  const s = pass.summary;
  if (!s || pass.status === 'stopped' || s.failedItems > 0 || s.stopped > 0) return EXIT.failed;
  return s.completedWithErrors > 0 ? EXIT.partial : EXIT.ok;
}
