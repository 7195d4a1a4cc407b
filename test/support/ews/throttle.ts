/**
 * Throttling switches for the EWS test server, settable at runtime, with counters so a test
 * can assert that the storm really happened.
 *
 * What Exchange sends, and what this reproduces:
 *  - ErrorServerBusy (budget exceeded): a SOAP fault, HTTP 500, whose detail carries
 *    `<t:MessageXml><t:Value Name="BackOffMilliseconds">N</t:Value></t:MessageXml>` — the shape
 *    captured from Exchange 2010+/Exchange Online in ecederstrand/exchangelib's tests and Microsoft's
 *    "EWS throttling in Exchange" article. Some operations report it inside an HTTP 200 answer as
 *    an error response message with the same MessageXml; `shape: 'message'` produces that.
 *  - EWSMaxConcurrency exceeded (27 on Exchange 2013+/Online): ErrorExceededConnectionCount,
 *    "You have exceeded the available concurrent connections for your account…", with the
 *    Policy / MaxConcurrencyLimit / ErrorMessage values Exchange Online puts in MessageXml
 *    (OfficeDev/ews-managed-api#293). The budget is the calling account's, or with
 *    ExchangeImpersonation the impersonated mailbox's (Exchange 2013+ charges the target).
 *  - HTTP 503 Service Unavailable with Retry-After (front end / server health), HTTP 429 with
 *    Retry-After (Exchange Online's app/tenant limits): neither carries a SOAP body.
 */

/** EWS default for Exchange 2013+ and Exchange Online. */
export const DEFAULT_EWS_MAX_CONCURRENCY = 27;
const DEFAULT_BACKOFF_MS = 30_000;

export type ServerBusyShape = 'fault' | 'message';

export interface ServerBusyRule {
  /** Every Nth EWS call (1 = every call) is refused. */
  everyNth?: number;
  /** Calls before this time (ms since epoch) are refused. */
  until?: number;
  /** BackOffMilliseconds to report; default: the rest of the window, or 30 s. */
  backOffMs?: number;
  shape: ServerBusyShape;
}

export interface HttpStorm {
  /** How many more requests get this status. */
  remaining: number;
  retryAfterSeconds: number;
}

export interface ThrottleCounters {
  /** EWS calls seen by the throttle (authenticated, schema-valid). */
  calls: number;
  serverBusy: number;
  concurrency: number;
  http503: number;
  http429: number;
  /** Highest number of requests in flight for one budget key. */
  peakConcurrency: number;
}

export interface ServerBusyVerdict {
  backOffMs: number;
  shape: ServerBusyShape;
}

export class Throttle {
  /** EWSMaxConcurrency per budget key; Infinity switches the check off. */
  maxConcurrency = DEFAULT_EWS_MAX_CONCURRENCY;
  /** Every request waits this long while it holds its concurrency slot (makes concurrency observable). */
  responseDelayMs = 0;
  readonly counters: ThrottleCounters = { calls: 0, serverBusy: 0, concurrency: 0, http503: 0, http429: 0, peakConcurrency: 0 };
  private busy: ServerBusyRule | null = null;
  private storm503: HttpStorm | null = null;
  private storm429: HttpStorm | null = null;
  private readonly inFlight = new Map<string, number>();

  /** Refuses every Nth call with ErrorServerBusy. */
  serverBusyEvery(n: number, backOffMs = DEFAULT_BACKOFF_MS, shape: ServerBusyShape = 'fault'): void {
    if (!Number.isInteger(n) || n < 1) throw new Error('serverBusyEvery needs n >= 1');
    this.busy = { everyNth: n, backOffMs, shape };
    this.nth = 0;
  }

  /** True while a serverBusyFor window is open. */
  get inBusyWindow(): boolean {
    return !!this.busy && 'until' in this.busy && this.busy.until !== undefined && Date.now() < this.busy.until;
  }

  /** Refuses every call for the next `ms`; BackOffMilliseconds = what is left of the window unless given. */
  serverBusyFor(ms: number, shape: ServerBusyShape = 'fault', backOffMs?: number): void {
    this.busy = { until: Date.now() + ms, shape, ...(backOffMs !== undefined ? { backOffMs } : {}) };
  }

  /** The next `count` requests get HTTP 503 with `Retry-After: retryAfterSeconds`. */
  http503(count: number, retryAfterSeconds = 1): void {
    this.storm503 = { remaining: count, retryAfterSeconds };
  }

  /** The next `count` requests get HTTP 429 with `Retry-After: retryAfterSeconds`. */
  http429(count: number, retryAfterSeconds = 1): void {
    this.storm429 = { remaining: count, retryAfterSeconds };
  }

  /** Switches everything off and restores the defaults; counters are kept unless asked. */
  reset(counters = false): void {
    this.busy = null;
    this.storm503 = null;
    this.storm429 = null;
    this.maxConcurrency = DEFAULT_EWS_MAX_CONCURRENCY;
    this.responseDelayMs = 0;
    if (counters) Object.assign(this.counters, { calls: 0, serverBusy: 0, concurrency: 0, http503: 0, http429: 0, peakConcurrency: 0 });
  }

  private nth = 0;

  /** @internal HTTP-level refusal for this request, if a 503/429 storm is on. */
  httpRefusal(): { status: 503 | 429; retryAfterSeconds: number } | undefined {
    for (const [status, storm] of [
      [503, this.storm503],
      [429, this.storm429],
    ] as const) {
      if (storm && storm.remaining > 0) {
        storm.remaining--;
        if (status === 503) this.counters.http503++;
        else this.counters.http429++;
        return { status, retryAfterSeconds: storm.retryAfterSeconds };
      }
    }
    return undefined;
  }

  /** @internal Takes a concurrency slot for `key`; false when EWSMaxConcurrency is exceeded. */
  enter(key: string): boolean {
    const now = (this.inFlight.get(key) ?? 0) + 1;
    if (now > this.maxConcurrency) {
      this.counters.concurrency++;
      return false;
    }
    this.inFlight.set(key, now);
    this.counters.peakConcurrency = Math.max(this.counters.peakConcurrency, now);
    return true;
  }

  /** @internal Gives back the slot taken by enter(). */
  leave(key: string): void {
    const now = (this.inFlight.get(key) ?? 1) - 1;
    if (now <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, now);
  }

  /** @internal Counts one EWS call and says whether it is refused with ErrorServerBusy. */
  serverBusy(): ServerBusyVerdict | undefined {
    this.counters.calls++;
    const rule = this.busy;
    if (!rule) return undefined;
    if (rule.until !== undefined) {
      const left = rule.until - Date.now();
      if (left <= 0) {
        this.busy = null;
        return undefined;
      }
      this.counters.serverBusy++;
      return { backOffMs: rule.backOffMs ?? left, shape: rule.shape };
    }
    this.nth++;
    if (rule.everyNth && this.nth % rule.everyNth === 0) {
      this.counters.serverBusy++;
      return { backOffMs: rule.backOffMs ?? DEFAULT_BACKOFF_MS, shape: rule.shape };
    }
    return undefined;
  }
}

export const SERVER_BUSY_MESSAGE = 'The server cannot service this request right now. Try again later.';
export const CONCURRENCY_MESSAGE =
  'You have exceeded the available concurrent connections for your account.  Try again once your other requests have completed.';

/** The MessageXml `t:Value` entries Exchange Online sends with ErrorExceededConnectionCount. */
export function concurrencyDetails(limit: number): [string, string][] {
  return [
    ['Policy', 'MaxConcurrency'],
    ['MaxConcurrencyLimit', String(limit)],
    [
      'ErrorMessage',
      `This operation exceeds the throttling budget for policy part 'MaxConcurrency', policy value '${limit}', Budget type: 'Ews'.  Suggested backoff time 0 ms.`,
    ],
  ];
}
