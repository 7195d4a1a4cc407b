/**
 * Runs measurements (b) and (c) in a child process (mailferry-child.ts) and reads its result.
 * The child gets its config on stdin and prints one JSON line on stdout; its warnings and
 * errors pass through on stderr.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildConfig, ChildResult } from './mailferry-child.js';

const CHILD_PATH = fileURLToPath(new URL('./mailferry-child.js', import.meta.url));
/**
 * The flags `npm start` and the Function App give Node (kept in step by test/bench/node-flags.test.ts).
 * A 4 MB young-generation semi-space (V8's default is 16 MB, ×3 reserved) keeps a copy job's
 * short-lived buffers from inflating the heap: peak RSS of the IMAP bench 165 → 130 MB for the same
 * CPU time (3.36 s vs 3.50 s over 5,000 messages). A 32 MB initial old generation: V8 sizes its
 * limit for heap plus external memory from the old generation, so with a 12 MB heap every ~13 MB
 * of socket chunks and message Buffers started a full collection (41 in one IMAP bench child);
 * with it 18 (10 at 64 MB), Mailferry's CPU 3.0 → 2.65–2.83 s per 10,000 messages at the same
 * peak RSS (118–130 MB; 140–144 at 64 MB). An interrupt budget 8× V8's default (67,584 bytes of
 * bytecode run before a function is considered for TurboFan): of a child's CPU in a 10,000-message
 * pass, V8's worker threads took 1.2–1.5 s, mostly background compiles that went on all pass (4.3 s
 * of 9.2 s for 40,000 messages); with it 0.5–0.6 s (2.2 of 7.0 s), the JavaScript thread the same
 * at 40,000 messages (4.85 s vs 4.90 s): Mailferry's CPU per pass −21% (2.81 → 2.22 s, mean of
 * five and four runs). `--expose-gc` lets the hosts' buffer collector
 * (api/adapters/buffer-collector.ts) free dead Buffers before V8 would.
 */
export const MAILFERRY_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=4',
  '--initial-old-space-size=32',
  '--interrupt-budget=540672',
  '--expose-gc',
];

export interface ChildRunOptions {
  /** Directory for a V8 CPU profile of the child (`--cpu-prof`), or none. */
  cpuProfileDir?: string;
  /** Added to the child's environment (the Graph bench: NODE_EXTRA_CA_CERTS for its token endpoint). */
  env?: NodeJS.ProcessEnv;
}

export async function runMailferryChild(config: ChildConfig, options: ChildRunOptions = {}): Promise<ChildResult> {
  const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  // The same loader flags as this process (e.g. tsx when run with `node --import tsx`).
  // Mailferry's own Node flags (what `npm start` runs with), then any BENCH_CHILD_FLAGS to try others.
  const flags = [...MAILFERRY_NODE_FLAGS, ...(process.env.BENCH_CHILD_FLAGS?.split(/\s+/).filter(Boolean) ?? [])];
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...profile, CHILD_PATH], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stdin.end(JSON.stringify(config));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`The Mailferry child exited with ${code}: ${stdout.slice(-2_000)}`);
  return JSON.parse(last) as ChildResult;
}
