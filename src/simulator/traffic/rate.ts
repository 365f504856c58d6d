/**
 * Time for the driver, injectable so tests check the arithmetic of rate limiting and
 * backoff without sleeping; and a token bucket that paces requests.
 */

export interface Timer {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Resolves after `ms`, or early when the signal aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realTimer: Timer = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * A token bucket with reservations: each request takes a token, and when none is left it
 * waits exactly until its token will have accrued, so concurrent callers are spaced
 * 1/rate apart. On a 429 the rate halves (never below `floorPerS`); after a run of
 * accepted requests it climbs back towards the target.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private ratePerS: number;
  private acceptedInRow = 0;

  constructor(
    readonly targetPerS: number,
    readonly burst: number,
    private readonly timer: Timer,
    private readonly floorPerS = Math.min(1, targetPerS),
  ) {
    if (!(targetPerS > 0) || !(burst >= 1)) throw new RangeError('rate must be > 0 and burst ≥ 1');
    this.ratePerS = targetPerS;
    this.tokens = burst;
    this.last = timer.now();
  }

  get currentPerS(): number {
    return this.ratePerS;
  }

  /** Waits for a token; returns the milliseconds waited. */
  async take(signal?: AbortSignal): Promise<number> {
    const now = this.timer.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerS) / 1_000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    const waitMs = (-this.tokens * 1_000) / this.ratePerS;
    await this.timer.sleep(waitMs, signal);
    return waitMs;
  }

  /** The server said 429: slow down. */
  backOff(): void {
    this.ratePerS = Math.max(this.floorPerS, this.ratePerS / 2);
    this.acceptedInRow = 0;
  }

  /** A request went through: after 100 in a row, speed up by a quarter, up to the target. */
  accepted(): void {
    if (this.ratePerS >= this.targetPerS) return;
    this.acceptedInRow += 1;
    if (this.acceptedInRow >= 100) {
      this.ratePerS = Math.min(this.targetPerS, this.ratePerS * 1.25);
      this.acceptedInRow = 0;
    }
  }
}

/** Limits concurrent work: `acquire` waits for a free slot, first come first served. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  get inUse(): number {
    return this.size - this.free;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/** Parses `200/s` or `200` into requests per second. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s)?\s*$/.exec(text);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!(n > 0) || n > 100_000) throw new RangeError(`not a rate: "${text}" (use e.g. 200/s)`);
  return n;
}
