/**
 * Exponential back-off between attempts to export one batch, as the Collector's `retry_on_failure`
 * (`config/configretry`, over cenkalti/backoff's `ExponentialBackOff`): the first wait is `initialInterval`, each
 * next one is `multiplier` times longer up to `maxInterval`, each randomised by ± `randomizationFactor`, and the
 * batch is given up once `maxElapsedTime` has passed since its first attempt (0: never). A server's retry hint
 * (`Retry-After`, gRPC `RetryInfo`) lengthens the wait, never shortens it, as the Collector's throttle error does.
 */

/** Retry settings; the Collector's `retry_on_failure` with durations in milliseconds. */
export interface RetryOptions {
  /** Whether a retryable failure is tried again at all. When false, it fails the batch at once. */
  enabled: boolean;
  /** Wait after the first failure, in ms. The Collector's `initial_interval` (default there: 5s). */
  initialIntervalMs: number;
  /** Upper bound of one wait, in ms. The Collector's `max_interval` (default there: 30s). */
  maxIntervalMs: number;
  /**
   * Longest time spent on one batch from its first attempt, in ms; 0 retries for ever. The Collector's
   * `max_elapsed_time` (default there: 300s).
   */
  maxElapsedTimeMs: number;
  /** Growth of the wait per attempt. Default 1.5 (the Collector's). */
  multiplier?: number;
  /** Spread of each wait, ± this fraction. Default 0.5 (the Collector's). */
  randomizationFactor?: number;
}

/** The Collector's defaults for `retry_on_failure`. */
export const DEFAULT_RETRY: Readonly<Required<RetryOptions>> = {
  enabled: true,
  initialIntervalMs: 5_000,
  maxIntervalMs: 30_000,
  maxElapsedTimeMs: 300_000,
  multiplier: 1.5,
  randomizationFactor: 0.5,
};

/** Checks retry options, throwing a `RangeError` that names the option (prefixed by `where`). */
export function checkRetryOptions(where: string, retry: RetryOptions): Required<RetryOptions> {
  const r = { ...DEFAULT_RETRY, ...retry };
  const nonNegative = (key: keyof RetryOptions, value: number) => {
    if (!(Number.isFinite(value) && value >= 0))
      throw new RangeError(`${where}: retry.${key} must be a number >= 0, got ${value}`);
  };
  nonNegative('initialIntervalMs', r.initialIntervalMs);
  nonNegative('maxIntervalMs', r.maxIntervalMs);
  nonNegative('maxElapsedTimeMs', r.maxElapsedTimeMs);
  if (!(Number.isFinite(r.multiplier) && r.multiplier >= 1))
    throw new RangeError(`${where}: retry.multiplier must be >= 1, got ${r.multiplier}`);
  if (!(r.randomizationFactor >= 0 && r.randomizationFactor < 1))
    throw new RangeError(
      `${where}: retry.randomizationFactor must be >= 0 and < 1, got ${r.randomizationFactor}`,
    );
  if (r.maxIntervalMs < r.initialIntervalMs)
    throw new RangeError(
      `${where}: retry.maxIntervalMs (${r.maxIntervalMs}) must be >= retry.initialIntervalMs (${r.initialIntervalMs})`,
    );
  return r;
}

/** The back-off of one batch: call {@link next} after each failure. */
export class Backoff {
  readonly #retry: Required<RetryOptions>;
  readonly #startedAt: number;
  readonly #random: () => number;
  #interval: number;

  /** `startedAt`: when the batch was first tried (ms, `Date.now()` clock). */
  constructor(retry: Required<RetryOptions>, startedAt: number, random: () => number = Math.random) {
    this.#retry = retry;
    this.#startedAt = startedAt;
    this.#random = random;
    this.#interval = retry.initialIntervalMs;
  }

  /**
   * The wait before the next attempt in ms, or `undefined` when the batch must be given up: retries are disabled,
   * or the wait would end past `maxElapsedTime`. `hintMs` is the server's retry hint.
   */
  next(now: number, hintMs?: number): number | undefined {
    const r = this.#retry;
    if (!r.enabled) return undefined;
    const delta = r.randomizationFactor * this.#interval;
    const randomized = this.#interval - delta + this.#random() * (2 * delta);
    this.#interval = Math.min(this.#interval * r.multiplier, r.maxIntervalMs);
    const wait = Math.max(randomized, hintMs ?? 0);
    if (r.maxElapsedTimeMs > 0 && now + wait - this.#startedAt > r.maxElapsedTimeMs) return undefined;
    return Math.round(wait);
  }
}
