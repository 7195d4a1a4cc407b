/**
 * Waiting for a pass in the CLI (`migrate`, `pass start --wait`): the workers run in this process
 * and the pass's end is an event of its engine (EmbeddedRuntime.passEnded), so the command returns
 * as soon as the last item finishes. On a terminal a progress line is redrawn meanwhile.
 */
import { formatBytes } from '../core/human-units.js';
import { messagesPerSecond, sumCounts } from '../core/counts.js';
import type { Pass } from '../core/model.js';
import { EXIT } from './cli-args.js';
import type { EmbeddedRuntime } from './embedded-runtime.js';
import { LOCAL_TENANT } from './embedded-runtime.js';

/** How often the terminal's progress line is redrawn. */
const PROGRESS_REDRAW_MS = 500;

/** Runs workers in this process until the pass ends, drawing one progress line on a TTY. */
export async function runUntilPassEnds(runtime: EmbeddedRuntime, passId: string, options: { quiet?: boolean } = {}): Promise<Pass> {
  const ended = runtime.passEnded(passId);
  runtime.startWorkers();
  if (!process.stderr.isTTY || options.quiet) return ended;
  const started = Date.now();
  const draw = async () => {
    const pass = await runtime.services.passes.getPass(LOCAL_TENANT, passId);
    const { items } = await runtime.services.progress(LOCAL_TENANT, pass.projectId);
    const mine = items.filter((i) => pass.itemIds.includes(i.id));
    const { copied, failed, bytes } = sumCounts(mine.flatMap((i) => (i.progress ? [i.progress] : [])));
    const folder = mine.find((i) => i.status === 'Running')?.progress?.currentFolder ?? '';
    process.stderr.write(
      `\r\x1b[K${pass.kind}: ${copied} copied, ${failed} failed, ${formatBytes(bytes)}, ${messagesPerSecond(copied, Date.now() - started).toFixed(0)} msg/s ${folder}`,
    );
  };
  const redraw = setInterval(() => void draw().catch(() => undefined), PROGRESS_REDRAW_MS);
  try {
    return await ended;
  } finally {
    clearInterval(redraw);
    process.stderr.write('\n');
  }
}

export function exitCodeFor(pass: Pass): number {
  const s = pass.summary;
  if (!s || pass.status === 'stopped' || s.failedItems > 0 || s.stopped > 0) return EXIT.failed;
  return s.completedWithErrors > 0 ? EXIT.partial : EXIT.ok;
}
