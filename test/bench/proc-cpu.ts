/**
 * CPU seconds of a process or of a whole process group, from /proc (Linux), so a bench can say
 * where the machine's cores went in a phase: a Dovecot is a process group (master, imap
 * processes, auth, log); an imap process that ended is in its parent's cutime/cstime once reaped.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc times are in these ticks on every architecture Node runs on. */
const TICKS_PER_S = 100;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses): index 0 is `state`. */
function statFields(pid: number | string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
  } catch {
    return undefined; // ended between the listing and the read
  }
}

/** utime + stime of one process. */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S : 0;
}

/**
 * This process's CPU seconds by thread: the main (JavaScript) thread, and the others together —
 * V8's workers (background compiling, concurrent marking, parallel scavenges) and libuv's pool.
 * The IMAP bench found 1.2–1.5 s there in a 10,000-message pass, mostly TurboFan's background compiles.
 */
export function threadCpuSeconds(): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const fields = statFields(`self/task/${tid}`);
    if (!fields) continue;
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
    if (Number(tid) === process.pid) main += seconds;
    else others += seconds;
  }
  return { main, others };
}

/** utime + stime + cutime + cstime of every process in the group: its live processes and those it reaped. */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (!fields || Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks / TICKS_PER_S;
}

/**
 * groupCpuSeconds once the group is quiet: a process that served the phase may still be exiting
 * (Dovecot's imap process writes its indexes after LOGOUT) or not yet reaped into its parent's
 * cutime, so the count is read again every 100 ms until two reads agree (at most 3 s).
 */
export async function settledGroupCpuSeconds(pgid: number): Promise<number> {
  let last = groupCpuSeconds(pgid);
  for (let waited = 0; waited < 3_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = groupCpuSeconds(pgid);
    if (now === last) return now;
    last = now;
  }
  return last;
}
