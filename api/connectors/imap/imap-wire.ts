/**
 * A minimal IMAP client connection of our own, for what imapflow cannot do: keep many commands
 * in flight (imapflow sends one at a time, see trySend in imap-flow.js). It frames commands and
 * literals, reads tagged, untagged and continuation responses (untagged ones whole, literals
 * included, for whoever listens: imap-response.ts), and leaves the protocol logic to its callers
 * (wire-login.ts, wire-commands.ts, append-pipeline.ts, read-pipeline.ts).
 * While the server owes an answer and we have nothing left to send, it must keep sending: after
 * `stallMs` without a byte (connect.ts STALL_TIMEOUT_MS) every waiter fails and the socket closes.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionError, MailferryError, ValidationError, ensureError } from '../../core/errors.js';
import type { ImapAddress } from './connect.js';
import { SOCKET_TIMEOUT_MS, CONNECT_TIMEOUT_MS, STALL_TIMEOUT_MS, socketOptions } from './connect.js';
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

/**
 * Where a literal goes instead of memory (a large message body, see read-messages.ts): its bytes
 * as they arrive (views of the received chunks), then the whole response once it has ended.
 */
export interface LiteralSink {
  /** False: hold on; the connection stops reading until `resumeReading()`. */
  write(chunk: Buffer): boolean;
  /** The response the literal belonged to (its literal slot left empty), once whole. */
  end(response: ServerResponse): void;
  fail(reason: Error): void;
}

/** Asked at each literal of an untagged response: the response's text so far and the literal's size. */
export type LiteralRouter = (parts: readonly string[], size: number) => LiteralSink | undefined;

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
  /** The command's verb (`UID FETCH`, `APPEND`), for the stall error; never its arguments. */
  command?: string;
}

const KEEPALIVE_MS = 60_000;
const LITERAL_AT_END = /\{(\d+)\+?\}$/;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
/** A literal up to this size gets its whole buffer when its first bytes arrive; a larger one grows as it comes. */
const PREALLOCATE_MAX_BYTES = 16 * 1024 * 1024;
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
  /** Bytes of the literal being read still to come, and where they go (allocated once, at its first bytes). */
  private literalLeft = 0;
  private literalSize = 0;
  private literal?: Buffer;
  private literalAt = 0;
  /** The literal being streamed, and the sinks whose response has not ended yet. */
  private sink?: LiteralSink;
  private readonly sinksOfCurrent: LiteralSink[] = [];
  private readonly literalRouters = new Set<LiteralRouter>();
  /** Reading stopped because a sink is full. */
  private paused = false;
  private readonly untaggedListeners = new Set<(response: ServerResponse) => void>();
  private tagCounter = 0;
  private readonly pending = new Map<string, Waiter<TaggedResponse>>();
  private readonly continuations: Array<Waiter<string>> = [];
  private greeting?: Waiter<string>;
  private failure?: MailferryError;
  /** The progress deadline: bytes received, the count a check last saw, and since when it has not moved. */
  private received = 0;
  private receivedSeen = 0;
  private quietSince = 0;
  private stallTimer?: NodeJS.Timeout;
  /** Callers reading their own source in the middle of a literal: the server owes nothing meanwhile. */
  private feeding = 0;
  /** Lines that were no IMAP response (8-bit garbage, or message text after a literal of the wrong size). */
  strayLines = 0;
  private readonly stallMs: number;

  private constructor(
    socket: net.Socket,
    private readonly address: ImapAddress,
  ) {
    this.socket = socket;
    this.stallMs = address.stallMs ?? STALL_TIMEOUT_MS;
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
  expect(tag: string, command?: string): Promise<TaggedResponse> {
    if (this.failure) return Promise.reject(this.failure);
    this.watch();
    return new Promise((resolve, reject) => this.pending.set(tag, { resolve, reject, command }));
  }

  /** The next `+` continuation; `cancel()` when the tagged response came first (RFC 3501 §7.5). */
  expectContinuation(): { promise: Promise<string>; cancel(): void } {
    let waiter!: Waiter<string>;
    const promise = this.failure
      ? Promise.reject(this.failure)
      : new Promise<string>((resolve, reject) => {
          waiter = { resolve, reject };
          this.continuations.push(waiter);
          this.watch();
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
    return this.drained();
  }

  /**
   * Writes several parts as one (corked: one writev), without copying them into one buffer
   * first: a MULTIAPPEND run is its command text and each message's own bytes.
   */
  writeAll(parts: readonly (string | Buffer)[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    let room = true;
    this.socket.cork();
    for (const part of parts) room = this.socket.write(part);
    this.socket.uncork();
    return room ? Promise.resolve() : this.drained();
  }

  private drained(): Promise<void> {
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
    const done = this.expect(tag, verbOf(command));
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

  /**
   * Waits for `work`, the caller's own source, in the middle of a command (a literal announced,
   * not all of it written): the server owes nothing until the command is whole, so the progress
   * deadline does not run meanwhile.
   */
  async whileFeeding<T>(work: Promise<T>): Promise<T> {
    this.feeding++;
    try {
      return await work;
    } finally {
      this.feeding--;
      this.quietSince = Date.now();
    }
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
    // An idle connection kept across folders outlives NAT idle timers (Azure's SNAT: 4 minutes),
    // which would otherwise drop it silently and turn the next command into a stall.
    socket.setKeepAlive(true, KEEPALIVE_MS);
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
    clearInterval(this.stallTimer);
    this.socket.destroy();
    this.greeting?.reject(reason);
    for (const waiter of this.pending.values()) waiter.reject(reason);
    this.pending.clear();
    for (const waiter of this.continuations.splice(0)) waiter.reject(reason);
    for (const sink of this.sinksOfCurrent.splice(0)) sink.fail(reason);
    this.sink = undefined;
  }

  /** Starts the progress checks when a waiter is added (they stop by themselves when nothing is owed). */
  private watch(): void {
    if (this.stallTimer || this.failure) return;
    this.quietSince = Date.now();
    this.receivedSeen = this.received;
    // Checked four times per deadline rather than re-armed per chunk: nothing on the read path.
    this.stallTimer = setInterval(() => this.checkProgress(), Math.max(10, Math.ceil(this.stallMs / 4)));
    this.stallTimer.unref();
  }

  private checkProgress(): void {
    if (this.pending.size === 0 && this.continuations.length === 0) {
      clearInterval(this.stallTimer);
      this.stallTimer = undefined;
      return;
    }
    const now = Date.now();
    // Bytes came in, or the server cannot answer yet: our own bytes are still queued for it, or a
    // caller is reading its source mid-literal. (A server that stops reading us is left to the
    // socket's idle timeout.)
    if (this.received !== this.receivedSeen || this.feeding > 0 || this.paused || this.socket.writableLength > 0) {
      this.receivedSeen = this.received;
      this.quietSince = now;
      return;
    }
    if (now - this.quietSince >= this.stallMs) this.fail(this.stallError(now - this.quietSince));
  }

  /** What the server owed, what it did instead, and what an admin can do about a slow one. */
  private stallError(quietMs: number): MailferryError {
    const command = [...this.pending.values()][0]?.command;
    const owed = command ? `its answer to ${command}` : this.continuations.length ? 'its go-ahead (+) for a literal' : 'an answer';
    const did =
      this.literalLeft > 0
        ? `it had announced a literal of ${this.literalSize} bytes and sent ${this.literalSize - this.literalLeft} of them`
        : this.buffer.length > 0
          ? `it had stopped in the middle of a line (${this.buffer.length} bytes without a line end)`
          : 'it had not finished its answer';
    const stray = this.strayLines
      ? `; before that it sent ${this.strayLines} line${this.strayLines === 1 ? '' : 's'} that are no IMAP response (8-bit garbage, or message text after a literal of the wrong size)`
      : '';
    return new MailferryError(
      'connection',
      `${this.where()}: the server sent nothing for ${seconds(quietMs)} s while Mailferry waited for ${owed}; ${did}${stray}. ` +
        `Mailferry closed the connection. If the server is only slow, give it longer with the support option ImapStallSeconds (default ${STALL_TIMEOUT_MS / 1000}).`,
      // The same command would stall the same way: the item fails with this reason instead of reconnecting.
      { retryable: false },
    );
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.length;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, this.buffer.length);
        if (n === 0) return;
        if (this.sink) {
          // Streamed: a view of what was received, straight to the sink; a full sink stops reading.
          if (!this.sink.write(this.buffer.subarray(0, n)) && !this.paused) {
            this.paused = true;
            this.socket.pause();
          }
          if (n === this.literalLeft) {
            this.current.literals.push(EMPTY);
            this.sink = undefined;
          }
        } else if (!this.literal && n === this.literalLeft) {
          // The whole literal is in what was received: a view of it, no copy. It keeps its socket
          // chunk (64 KB at most) alive only as long as the message itself, and the chunk's other
          // bytes are the same batch's neighbouring messages.
          this.current.literals.push(this.buffer.subarray(0, n));
        } else {
          // Spread over several chunks: copied once into a buffer of the announced size, which
          // grows as bytes arrive past PREALLOCATE_MAX_BYTES (a size a server announces is not
          // trusted with memory before its bytes come).
          if (!this.literal) this.literal = Buffer.allocUnsafeSlow(Math.min(this.literalLeft, PREALLOCATE_MAX_BYTES));
          else if (this.literal.length < this.literalAt + n) {
            const grown = Buffer.allocUnsafeSlow(Math.min(this.literalAt + this.literalLeft, 2 * (this.literalAt + n)));
            this.literal.copy(grown, 0, 0, this.literalAt);
            this.literal = grown;
          }
          this.buffer.copy(this.literal, this.literalAt, 0, n);
          this.literalAt += n;
          if (n === this.literalLeft) {
            this.current.literals.push(this.literal.length === this.literalAt ? this.literal : this.literal.subarray(0, this.literalAt));
            this.literal = undefined;
            this.literalAt = 0;
          }
        }
        this.literalLeft -= n;
        this.buffer = this.buffer.subarray(n);
        if (this.literalLeft > 0) return;
      }
      const end = this.buffer.indexOf(LF);
      if (end < 0) return;
      const line = this.buffer.subarray(0, end > 0 && this.buffer[end - 1] === 0x0d ? end - 1 : end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 1);
      this.current.parts.push(line);
      const literal = LITERAL_AT_END.exec(line);
      if (literal) {
        this.literalLeft = this.literalSize = Number(literal[1]);
        if (this.literalLeft === 0) this.current.literals.push(Buffer.alloc(0));
        else if (this.literalRouters.size && line.startsWith('* ')) this.routeLiteral();
        continue;
      }
      const response = this.current;
      this.current = { parts: [], literals: [] };
      this.onResponse(response);
      for (const sink of this.sinksOfCurrent.splice(0)) sink.end(response);
    }
  }

  private routeLiteral(): void {
    for (const router of this.literalRouters) {
      const sink = router(this.current.parts, this.literalLeft);
      if (!sink) continue;
      this.sink = sink;
      this.sinksOfCurrent.push(sink);
      return;
    }
  }

  /** Literals the router takes are streamed to its sinks instead of read into memory; returns the unsubscribe. */
  routeLiterals(router: LiteralRouter): () => void {
    this.literalRouters.add(router);
    return () => this.literalRouters.delete(router);
  }

  /** A full sink has room again. */
  resumeReading(): void {
    if (!this.paused || this.failure) return;
    this.paused = false;
    this.socket.resume();
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
    if (!match) {
      this.strayLines++;
      return;
    }
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

/** 0.4, 3.1, 120: tenths only where they matter. */
function seconds(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}

/** `UID FETCH`, `APPEND`, `LIST`: what a command does, without its arguments (a LOGIN's password among them). */
function verbOf(command: string): string {
  const [first = '', second = ''] = command.split(' ', 2);
  return (first.toUpperCase() === 'UID' ? `${first} ${second}` : first).toUpperCase();
}

function tlsOptions(address: ImapAddress): tls.ConnectionOptions {
  const ip = net.isIP(address.host) !== 0;
  return { servername: ip ? undefined : address.host, rejectUnauthorized: !address.allowSelfSigned };
}
