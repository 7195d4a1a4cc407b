/**
 * A minimal IMAP client connection of our own, for what imapflow cannot do: keep many commands
 * in flight (imapflow sends one at a time, see trySend in imap-flow.js). It frames commands and
 * literals, reads tagged, untagged and continuation responses (untagged ones whole, literals
 * included, for whoever listens: imap-response.ts), and leaves the protocol logic to its callers
 * (wire-login.ts, wire-commands.ts, append-pipeline.ts, read-pipeline.ts).
 */
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionError, ValidationError, ensureError, type MailferryError } from '../../core/errors.js';
import type { ImapAddress } from './connect.js';
import { SOCKET_TIMEOUT_MS, CONNECT_TIMEOUT_MS, socketOptions } from './connect.js';
import type { ServerResponse } from './imap-response.js';
import { certificateError } from './map-error.js';
import { throttledFromText } from './throttle.js';

export interface TaggedResponse {
  tag: string;
  status: 'OK' | 'NO' | 'BAD';
  /** Response code atom, e.g. `APPENDUID`, `TOOBIG` (RFC 3501 §7.1). */
  code?: string;
  /** What follows the code atom inside the brackets, e.g. `1700000000 42`. */
  codeArgs?: string;
  text: string;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

const LITERAL_AT_END = /\{(\d+)\+?\}$/;
const LF = 0x0a;
const TAGGED = /^(\S+) (OK|NO|BAD)(?: \[([^\s\]]+)(?: ([^\]]*))?\])? ?(.*)$/i;

export class ImapWire {
  readonly capabilities = new Set<string>();
  /** Text of a server BYE, kept for the error we raise when the socket closes. */
  byeText?: string;
  /** The mailbox this connection has selected (SELECT) or examined (EXAMINE), set by whoever did it. */
  selected?: { path: string; readOnly: boolean };
  private socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  /** The response being read: its text parts so far and its literals. */
  private current: ServerResponse = { parts: [], literals: [] };
  /** Bytes of the literal being read, and the chunks read of it so far. */
  private literalLeft = 0;
  private literalChunks: Buffer[] = [];
  private readonly untaggedListeners = new Set<(response: ServerResponse) => void>();
  private tagCounter = 0;
  private readonly pending = new Map<string, Waiter<TaggedResponse>>();
  private readonly continuations: Array<Waiter<string>> = [];
  private greeting?: Waiter<string>;
  private failure?: MailferryError;

  private constructor(
    socket: net.Socket,
    private readonly address: ImapAddress,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Opens the socket (implicit TLS or plain) and waits for the `* OK` greeting. */
  static async open(address: ImapAddress): Promise<ImapWire> {
    const guard = socketOptions(address);
    const socket =
      address.security === 'tls'
        ? tls.connect({ host: address.host, port: address.port, ...guard, ...tlsOptions(address) })
        : net.connect({ host: address.host, port: address.port, ...guard });
    const wire = new ImapWire(socket, address);
    const greeting = new Promise<string>((resolve, reject) => (wire.greeting = { resolve, reject }));
    const timer = setTimeout(
      () => wire.fail(new ConnectionError(`${wire.where()}: no greeting within ${CONNECT_TIMEOUT_MS} ms.`)),
      CONNECT_TIMEOUT_MS,
    );
    try {
      const text = await greeting;
      if (/^BYE/i.test(text)) throw new ConnectionError(`${wire.where()}: the server refused the connection (${text}).`);
      return wire;
    } catch (err) {
      wire.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  nextTag(): string {
    this.tagCounter += 1;
    return `W${this.tagCounter}`;
  }

  /** Registers interest in `tag` before its command is written, so no response can be missed. */
  expect(tag: string): Promise<TaggedResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.set(tag, { resolve, reject }));
  }

  /** The next `+` continuation; `cancel()` when the tagged response came first (RFC 3501 §7.5). */
  expectContinuation(): { promise: Promise<string>; cancel(): void } {
    let waiter!: Waiter<string>;
    const promise = this.failure
      ? Promise.reject(this.failure)
      : new Promise<string>((resolve, reject) => {
          waiter = { resolve, reject };
          this.continuations.push(waiter);
        });
    promise.catch(() => undefined);
    return {
      promise,
      cancel: () => {
        const at = this.continuations.indexOf(waiter);
        if (at >= 0) this.continuations.splice(at, 1);
      },
    };
  }

  /** Writes with backpressure: resolves once the socket has room again. */
  write(data: string | Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.socket.write(data)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(this.failure ?? new ConnectionError(`${this.where()}: connection closed.`));
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  /** Sends one simple command line and waits for its tagged response. */
  async run(command: string): Promise<TaggedResponse> {
    const tag = this.nextTag();
    const done = this.expect(tag);
    await this.write(`${tag} ${command}\r\n`);
    return done;
  }

  /** RFC 3501 §6.2.1: after STARTTLS the TLS handshake starts and earlier capabilities are void. */
  async upgradeToTls(): Promise<void> {
    const old = this.socket;
    old.removeAllListeners('data');
    old.removeAllListeners('close');
    old.removeAllListeners('error');
    old.removeAllListeners('timeout');
    // Anything already buffered arrived before the handshake: a STARTTLS injection; drop it.
    this.buffer = Buffer.alloc(0);
    const secure = tls.connect({ socket: old, ...tlsOptions(this.address) });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', (err) => reject(new ConnectionError(`${this.where()}: TLS upgrade failed (${err.message}).`, { cause: err })));
    });
    this.socket = secure;
    this.capabilities.clear();
    this.attach(secure);
  }

  /** Aborts the connection; every waiter fails with `reason`. */
  destroy(reason: MailferryError): void {
    this.fail(reason);
  }

  close(): void {
    if (!this.failure) this.fail(new ConnectionError(`${this.where()}: connection closed by Mailferry.`));
  }

  where(): string {
    return `IMAP ${this.address.host}:${this.address.port}`;
  }

  private attach(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.setTimeout(SOCKET_TIMEOUT_MS, () =>
      this.fail(new ConnectionError(`${this.where()}: no response for ${SOCKET_TIMEOUT_MS / 1000} s.`)),
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(this.socketError(err)));
    socket.on('close', () => this.fail(this.closeError()));
  }

  /** In the admin's words when Node's error is a known network or TLS failure (the raw text kept as details). */
  private socketError(err: NodeJS.ErrnoException): MailferryError {
    // The outbound policy's lookup hook refuses a private address with its own error, kept as it is.
    if (err instanceof ValidationError) return err;
    const untrusted = certificateError(`connecting on ${this.address.host}:${this.address.port}`, err);
    if (untrusted) return untrusted;
    const plain = ensureError(err, { host: this.address.host, port: this.address.port, protocol: 'IMAP' });
    return plain.details
      ? plain
      : new ConnectionError(`${this.where()}: ${err.message}${err.code ? ` (${err.code})` : ''}`, { cause: err });
  }

  private closeError(): MailferryError {
    const context = `${this.where()}: the server closed the connection`;
    return throttledFromText(this.byeText, context) ?? new ConnectionError(`${context}${this.byeText ? ` (${this.byeText})` : ''}.`);
  }

  private fail(reason: MailferryError): void {
    if (this.failure) return;
    this.failure = reason;
    this.socket.destroy();
    this.greeting?.reject(reason);
    for (const waiter of this.pending.values()) waiter.reject(reason);
    this.pending.clear();
    for (const waiter of this.continuations.splice(0)) waiter.reject(reason);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, this.buffer.length);
        if (n === 0) return;
        // A copy: a subarray would keep the whole socket chunk alive with the message.
        this.literalChunks.push(Buffer.from(this.buffer.subarray(0, n)));
        this.literalLeft -= n;
        this.buffer = this.buffer.subarray(n);
        if (this.literalLeft > 0) return;
        this.current.literals.push(this.literalChunks.length === 1 ? this.literalChunks[0]! : Buffer.concat(this.literalChunks));
        this.literalChunks = [];
      }
      const end = this.buffer.indexOf(LF);
      if (end < 0) return;
      const line = this.buffer.subarray(0, end > 0 && this.buffer[end - 1] === 0x0d ? end - 1 : end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 1);
      this.current.parts.push(line);
      const literal = LITERAL_AT_END.exec(line);
      if (literal) {
        this.literalLeft = Number(literal[1]);
        if (this.literalLeft === 0) this.current.literals.push(Buffer.alloc(0));
        continue;
      }
      const response = this.current;
      this.current = { parts: [], literals: [] };
      this.onResponse(response);
    }
  }

  /** Every untagged response from now on, whole; returns the unsubscribe. */
  onUntagged(listener: (response: ServerResponse) => void): () => void {
    this.untaggedListeners.add(listener);
    return () => this.untaggedListeners.delete(listener);
  }

  private onResponse(response: ServerResponse): void {
    const line = response.parts[0]!;
    if (line.startsWith('+')) {
      this.continuations.shift()?.resolve(line.slice(1).trim());
      return;
    }
    if (line.startsWith('* ')) {
      if (response.parts.length === 1) this.onStatusLine(line.slice(2));
      for (const listener of this.untaggedListeners) listener(response);
      return;
    }
    const match = TAGGED.exec(line);
    if (!match) return;
    const [, tag, status, code, codeArgs, text] = match;
    const waiter = this.pending.get(tag!);
    if (!waiter) return;
    this.pending.delete(tag!);
    const upper = status!.toUpperCase() as TaggedResponse['status'];
    if (code?.toUpperCase() === 'CAPABILITY' && codeArgs) this.setCapabilities(codeArgs);
    waiter.resolve({ tag: tag!, status: upper, code: code?.toUpperCase(), codeArgs, text: text ?? '' });
  }

  private onStatusLine(rest: string): void {
    const capability = /^(?:OK \[CAPABILITY ([^\]]*)\]|CAPABILITY (.*))/i.exec(rest);
    if (capability) this.setCapabilities(capability[1] ?? capability[2] ?? '');
    if (this.greeting && /^(OK|PREAUTH|BYE)\b/i.test(rest)) {
      const greeting = this.greeting;
      this.greeting = undefined;
      greeting.resolve(rest);
      return;
    }
    if (/^BYE\b/i.test(rest)) this.byeText = rest.slice(3).trim();
  }

  private setCapabilities(list: string): void {
    this.capabilities.clear();
    for (const cap of list.trim().split(/\s+/)) if (cap) this.capabilities.add(cap.toUpperCase());
  }
}

function tlsOptions(address: ImapAddress): tls.ConnectionOptions {
  const ip = net.isIP(address.host) !== 0;
  return { servername: ip ? undefined : address.host, rejectUnauthorized: !address.allowSelfSigned };
}
