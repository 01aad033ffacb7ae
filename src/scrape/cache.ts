// A value that is expensive to compute (it runs commands) and is reused until its inputs change.
//
// Each scrape computes a cheap key (file modification times); the value is recomputed when the
// key changes or the value is older than maxAge. Concurrent scrapes share one refresh. While a
// refresh runs, scrapes are answered with the previous value (stale while revalidate), so a slow
// command never slows a scrape down once there is a value; only the first scrape has to wait.

/** A failed refresh is retried after this long even when the inputs did not change. */
export const RETRY_AFTER_FAILURE_MS = 60_000;

export interface Outcome<T> {
  /** The last value computed successfully, if any (it may be older than the last attempt). */
  readonly value: T | undefined;
  /** Problems of the last attempt; empty when it succeeded. */
  readonly problems: readonly string[];
  /** Duration of the last attempt, seconds. */
  readonly durationSeconds: number;
  /** Unix ms of the last successful attempt. */
  readonly lastSuccessMs: number | undefined;
}

export interface Attempt<T> {
  readonly value: T | undefined;
  readonly problems: readonly string[];
}

export class CachedValue<T> {
  private outcome: Outcome<T> | undefined;
  private key: string | undefined;
  private computedAt = 0;
  private inflight: { key: string; promise: Promise<Outcome<T>> } | undefined;

  /** The last outcome, without refreshing. */
  peek(): Outcome<T> | undefined {
    return this.outcome;
  }

  constructor(
    private readonly maxAgeMs: number,
    private readonly clock: () => number,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /**
   * The outcome for a scrape with inputs `key`. Waits for a refresh only when there is no
   * previous outcome, and then at most until `deadline` resolves (giving undefined).
   */
  async get(key: string, compute: () => Promise<Attempt<T>>, deadline: Promise<void>): Promise<Outcome<T> | undefined> {
    const o = this.outcome;
    const ttl = o && o.problems.length > 0 ? Math.min(this.maxAgeMs, RETRY_AFTER_FAILURE_MS) : this.maxAgeMs;
    const fresh = o !== undefined && this.key === key && this.monotonic() - this.computedAt < ttl;
    if (fresh) return this.outcome;
    const refresh = this.refresh(key, compute);
    if (this.outcome !== undefined) return this.outcome;
    return Promise.race([refresh, deadline.then(() => undefined)]);
  }

  /** The refresh for `key`, started if none is running for it. */
  refresh(key: string, compute: () => Promise<Attempt<T>>): Promise<Outcome<T>> {
    if (this.inflight) return this.inflight.promise;
    const started = this.monotonic();
    const promise = compute()
      .catch((err: unknown): Attempt<T> => ({ value: undefined, problems: [err instanceof Error ? err.message : String(err)] }))
      .then((attempt) => {
        const ok = attempt.problems.length === 0;
        const prev = this.outcome;
        const outcome: Outcome<T> = {
          // A failed attempt keeps serving the last good value; success 0 and the last success
          // timestamp tell how old it is.
          value: attempt.value ?? prev?.value,
          problems: attempt.problems,
          durationSeconds: (this.monotonic() - started) / 1000,
          lastSuccessMs: ok ? this.clock() : prev?.lastSuccessMs,
        };
        this.outcome = outcome;
        this.key = key;
        this.computedAt = this.monotonic();
        return outcome;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    this.inflight = { key, promise };
    return promise;
  }
}
