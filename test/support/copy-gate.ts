/**
 * A gate for crash tests: the worker process stops for good once its destination sessions have
 * confirmed a chosen number of writes, and says so on stdout, so the parent SIGKILLs it at a known
 * point instead of after polling the ledger and hoping the kill lands mid-pass. At the gate the
 * last confirmed write is stored at the destination but not yet handed to the engine, so its
 * ledger row is still pending: the window crash recovery exists for.
 *
 * The parent sets COPY_GATE_ENV on the child (startWorker's env), waits with workerAtGate, kills.
 * In-process tests use the gate directly: act at the gate (stop the pass, restart a server), then
 * release it.
 */
import type { AppendResult, MailConnector, SourceMessage } from '../../api/core/connector.js';
import { overrideSessions } from './session-overrides.js';

/** Confirmed destination writes after which the worker holds; 0 holds at its first write, before anything is sent. */
export const COPY_GATE_ENV = 'MAILFERRY_TEST_GATE_AFTER_COPIES';
/** What the worker prints when it reaches the gate. */
export const GATE_LINE = 'at-gate';

export class CopyGate {
  /** Writes the destination confirmed so far, in every session of this process. */
  confirmed = 0;
  private reachedOnce = false;
  private resolveReached?: (confirmed: number) => void;
  /** Resolves, with the confirmed writes, once the gate is reached. */
  readonly reached = new Promise<number>((resolve) => (this.resolveReached = resolve));
  private openGate?: () => void;
  private readonly gateOpen = new Promise<void>((resolve) => (this.openGate = resolve));

  constructor(
    readonly afterCopies: number,
    private readonly onReached: (confirmed: number) => void = () => {},
  ) {}

  /** The gate from COPY_GATE_ENV, telling the parent on stdout; undefined when the variable is not set. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): CopyGate | undefined {
    const value = env[COPY_GATE_ENV];
    if (value === undefined) return undefined;
    const copies = Number(value);
    if (!Number.isInteger(copies) || copies < 0) throw new Error(`${COPY_GATE_ENV} must be a whole number of copies (got "${value}").`);
    return new CopyGate(copies, (confirmed) => process.stdout.write(`${GATE_LINE} ${confirmed}\n`));
  }

  /** Resolves only once released: a worker process stays here until it is killed. */
  private hold(): Promise<void> {
    if (!this.reachedOnce) {
      this.reachedOnce = true;
      this.onReached(this.confirmed);
      this.resolveReached?.(this.confirmed);
    }
    return this.gateOpen;
  }

  /** Lets every write held at the gate go on, and no later one waits. */
  release(): void {
    this.openGate?.();
  }

  /** `inner` with every destination write counted, and held at the gate. */
  wrap(inner: MailConnector): MailConnector {
    const gate = this;
    return overrideSessions(inner, (session) => ({
      async *appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
        if (gate.confirmed >= gate.afterCopies) await gate.hold();
        for await (const result of session.appendMessages(path, messages)) {
          if (!result.error) gate.confirmed++;
          if (gate.confirmed >= gate.afterCopies) await gate.hold();
          yield result;
        }
      },
    }));
  }
}
