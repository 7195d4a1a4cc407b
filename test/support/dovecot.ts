/**
 * A real Dovecot for integration tests: a throwaway private config in a temp dir, listening on a
 * free loopback port, run in the foreground (`dovecot -F`) as a child process so it dies with the
 * test run. Debian's `dovecot-core dovecot-imapd` 2.3.x; works as root (CI) by handing mail
 * storage to the `dovecot` system user.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, chownSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { waitUntil } from './wait-until.js';

const DOVECOT_BIN = '/usr/sbin/dovecot';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const CHILD_GRACE_MS = 5_000;
const GROUP_POLL_MS = 20;
const MASTER_USER = 'admin';
/** Dovecot's passwd-file driver stats the file at most once per second (passwd-file.c). */
const MASTER_PASSWORD = 'admin-secret';

export interface DovecotOptions {
  /** Hierarchy separator of the inbox namespace. Default '/'. */
  separator?: '/' | '.';
  /** Users created at start: name → password. Default `{ alice: 'alice-pw', bob: 'bob-pw' }`. */
  users?: Record<string, string>;
  /** Rejects APPENDs above this size with the quota plugin's `quota_max_mail_size`. */
  maxMailSizeBytes?: number;
  /** Also listen for implicit TLS (imaps) and offer STARTTLS, with a self-signed certificate. */
  tls?: boolean;
  /** Extra lines appended to dovecot.conf (e.g. `imap_capability = IMAP4rev1 ...`). */
  extraConfig?: string;
}

export interface DovecotServer {
  host: string;
  /** Plain IMAP (and STARTTLS when `tls` is on). */
  port: number;
  /** Implicit TLS port when `tls` is on. */
  tlsPort?: number;
  users: Record<string, string>;
  /** Master user: `user*admin` LOGIN, or SASL PLAIN with authzid = user. */
  masterUser: string;
  masterPassword: string;
  dir: string;
  separator: '/' | '.';
  /** The log Dovecot writes; handy when a test fails. */
  readLog(): string;
  /** Rewrites the passwd-file; resolves once Dovecot accepts the user's login (it re-checks the file at most once a second). */
  addUser(name: string, password: string): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** The process group of the running Dovecot (its master's pid): the bench counts the CPU it spends. */
  processGroup(): number | undefined;
}

export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  const separator = options.separator ?? '/';
  const users = { ...(options.users ?? { alice: 'alice-pw', bob: 'bob-pw' }) };
  const dir = mkdtempSync(join(tmpdir(), 'mailferry-dovecot-'));
  // Mail processes run as `dovecot` and must traverse the temp dir.
  chmodSync(dir, 0o755);
  const mailOwner = mailOwnerIds();
  for (const sub of ['run', 'state', 'mail', 'home']) mkdirSync(join(dir, sub), { recursive: true });
  chownSync(join(dir, 'mail'), mailOwner.uid, mailOwner.gid);
  chownSync(join(dir, 'home'), mailOwner.uid, mailOwner.gid);

  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  if (options.tls) makeSelfSignedCert(dir);

  const writeUsers = (): void => {
    const lines = Object.entries(users).map(
      ([name, pw]) => `${name}:{PLAIN}${pw}:${mailOwner.uid}:${mailOwner.gid}::${join(dir, 'home', name)}::`,
    );
    // Dovecot re-reads a passwd-file when its mtime changes.
    writeFileSync(join(dir, 'users'), `${lines.join('\n')}\n`, { mode: 0o644 });
  };
  writeUsers();
  writeFileSync(join(dir, 'master-users'), `${MASTER_USER}:{PLAIN}${MASTER_PASSWORD}\n`, { mode: 0o644 });
  const confPath = join(dir, 'dovecot.conf');
  writeFileSync(confPath, dovecotConf(dir, port, tlsPort, separator, mailOwner, options));

  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    // Its own process group: on stop we can end every process this Dovecot forked (imap, auth,
    // log...), which otherwise outlive the master and keep client connections open.
    child = spawn(DOVECOT_BIN, ['-F', '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`dovecot exited (${code}): ${stderr}${readLogSafe(dir)}`))),
    );
    await Promise.race([waitForGreeting('127.0.0.1', port, START_TIMEOUT_MS), exited]);
    exited.catch(() => undefined);
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
    // The master exits before its imap processes finish: give them the grace a service manager
    // gives (systemd waits for the whole unit), so none dies mid-APPEND holding a dotlock that
    // would stall the next Dovecot for minutes. Only stragglers get SIGKILL.
    await waitForGroupExit(proc.pid, CHILD_GRACE_MS);
    killGroup(proc.pid);
  };

  await start();
  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    users,
    masterUser: MASTER_USER,
    masterPassword: MASTER_PASSWORD,
    dir,
    separator,
    readLog: () => readLogSafe(dir),
    processGroup: () => child?.pid,
    async addUser(name, password) {
      users[name] = password;
      writeUsers();
      await waitUntil(`Dovecot to accept the new user ${name}'s login`, () => acceptsLogin('127.0.0.1', port, name, password), {
        timeoutMs: START_TIMEOUT_MS,
        intervalMs: 100,
      });
    },
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stop();
      await start();
    },
  };
}

function dovecotConf(
  dir: string,
  port: number,
  tlsPort: number | undefined,
  separator: '/' | '.',
  owner: { uid: number; gid: number },
  options: DovecotOptions,
): string {
  // LAYOUT=fs stores `a/b` as directories, so '/' works as separator and '.' may appear in names.
  const layout = separator === '/' ? ':LAYOUT=fs' : '';
  const quota = options.maxMailSizeBytes
    ? `mail_plugins = $mail_plugins quota
plugin {
  quota = count:User quota
  quota_vsizes = yes
  quota_max_mail_size = ${options.maxMailSizeBytes}B
}`
    : '';
  const ssl = options.tls
    ? `ssl = yes
ssl_cert = <${join(dir, 'cert.pem')}
ssl_key = <${join(dir, 'key.pem')}`
    : 'ssl = no';
  return `# Generated by test/support/dovecot.ts; throwaway.
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
info_log_path = ${join(dir, 'dovecot.log')}
instance_name = mailferry-test-${port}
listen = 127.0.0.1
protocols = imap
${ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = ${owner.uid}
mail_gid = ${owner.gid}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:${join(dir, 'mail')}/%u${layout}
mail_max_userip_connections = 200
auth_master_user_separator = *
# Tests try wrong passwords on purpose; Dovecot's 2 s failure delay would only slow them down.
auth_failure_delay = 0
shutdown_clients = yes
# Throwaway mail: fsync per message would make every APPEND test measure the disk.
mail_fsync = never

passdb {
  driver = passwd-file
  args = ${join(dir, 'master-users')}
  master = yes
  result_success = continue
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${join(dir, 'users')}
}
userdb {
  driver = passwd-file
  args = ${join(dir, 'users')}
}

namespace inbox {
  inbox = yes
  separator = ${separator}
  prefix =
  mailbox Sent {
    special_use = \\Sent
    auto = no
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = no
  }
  mailbox Trash {
    special_use = \\Trash
    auto = no
  }
  mailbox Junk {
    special_use = \\Junk
    auto = no
  }
  mailbox Archive {
    special_use = \\Archive
    auto = no
  }
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort ?? 0}
    ssl = yes
  }
}
${quota}
${options.extraConfig ?? ''}
`;
}

async function waitForGroupExit(pid: number | undefined, graceMs: number): Promise<void> {
  if (!pid) return;
  const gone = () => {
    try {
      process.kill(-pid, 0);
      return false;
    } catch {
      return true; // ESRCH: every process of the group has exited
    }
  };
  // Past the grace the caller kills the group: not reaching it is not a failure.
  await waitUntil(`Dovecot's process group ${pid} to exit`, gone, { timeoutMs: graceMs, intervalMs: GROUP_POLL_MS }).catch(() => undefined);
}

/** SIGKILL to the process group we created (negative pid): only this Dovecot's processes. */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already empty.
  }
}

function mailOwnerIds(): { uid: number; gid: number } {
  if (userInfo().uid !== 0) return { uid: userInfo().uid, gid: userInfo().gid };
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('dovecot:'));
  if (!line) throw new Error('The `dovecot` system user is missing; install dovecot-core.');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function makeSelfSignedCert(dir: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
}

function readLogSafe(dir: string): string {
  const path = join(dir, 'dovecot.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until the port accepts and sends an IMAP `* OK` greeting. */
async function waitForGreeting(host: string, port: number, timeoutMs: number): Promise<void> {
  const greets = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      const done = (value: boolean): void => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1_000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (data) => done(data.toString().startsWith('* OK')));
    });
  await waitUntil(`Dovecot to greet on ${host}:${port}`, greets, { timeoutMs, intervalMs: 50 });
}

/** One plain IMAP LOGIN: true when the server accepts the user and password (auth_failure_delay is 0 here). */
function acceptsLogin(host: string, port: number, user: string, password: string): Promise<boolean> {
  const quoted = (text: string) => `"${text.replace(/["\\]/g, '\\$&')}"`;
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    let seen = '';
    let sent = false;
    const done = (value: boolean): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(5_000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (data) => {
      seen += data.toString();
      if (!sent && seen.includes('\r\n')) {
        if (!seen.startsWith('* OK')) return done(false);
        sent = true;
        socket.write(`x LOGIN ${quoted(user)} ${quoted(password)}\r\n`);
        return;
      }
      const tagged = /(?:^|\r\n)x (OK|NO|BAD)/.exec(seen);
      if (tagged) done(tagged[1] === 'OK');
    });
  });
}

export interface FillMessage {
  raw: Buffer | string;
  flags?: string[];
  internalDate?: Date;
}

/** Appends messages to a user's mailbox with imapflow (creating the folder when missing). */
export async function fillMailbox(server: DovecotServer, user: string, folder: string, messages: FillMessage[]): Promise<void> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    auth: { user, pass: server.users[user] },
    logger: false,
    disableAutoIdle: true,
  });
  await client.connect();
  try {
    if (folder.toUpperCase() !== 'INBOX') {
      await client.mailboxCreate(folder).catch((err: { serverResponseCode?: string }) => {
        if (err.serverResponseCode !== 'ALREADYEXISTS') throw err;
      });
    }
    for (const m of messages) await client.append(folder, m.raw, m.flags ?? [], m.internalDate);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** A small RFC 5322 message with a unique body; `size` pads the body to about that many bytes. */
export function sampleMessage(n: number, size = 0, subject = `Message ${n}`): Buffer {
  const head =
    `From: Sender <sender@example.com>\r\nTo: Alice <alice@example.com>\r\n` +
    `Subject: ${subject}\r\nMessage-ID: <m${n}.${Date.now()}@example.com>\r\n` +
    `Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  let body = `Body of message ${n}\r\n`;
  const line = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n';
  if (size > head.length + body.length) body += line.repeat(Math.ceil((size - head.length - body.length) / line.length));
  return Buffer.from(head + body);
}
