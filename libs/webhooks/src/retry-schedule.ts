const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Svix's schedule: delay before attempt 1, 2, ... 8. Eight attempts over about 28 hours ride out
 * a receiver's deploy, an outage and an overnight incident without hammering it. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];

/** A receiver cannot park a message for longer than this by sending a huge Retry-After. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 24 * HOUR;

export interface NextDelayOptions {
  /** From the failed attempt's Retry-After; the next attempt waits at least this long. */
  retryAfterMs?: number;
  scheduleMs?: readonly number[];
  /** Spread each delay by up to this fraction either way (0.1 = ±10%), so that messages failed
   * together by one outage do not all return in the same instant. */
  jitter?: number;
  /** Returns [0, 1); injectable so tests and replays are deterministic. */
  random?: () => number;
  maxRetryAfterMs?: number;
}

/** Milliseconds to wait before the next attempt, or null when the schedule is exhausted.
 * `attemptsMade` counts attempts already made, as BullMQ's backoff strategy receives it; 0 gives
 * the first attempt's delay. Pure unless jitter is asked for without a `random`. */
export function nextDelayMs(attemptsMade: number, options: NextDelayOptions = {}): number | null {
  const {
    retryAfterMs,
    scheduleMs = DEFAULT_RETRY_SCHEDULE_MS,
    jitter = 0,
    random = Math.random,
    maxRetryAfterMs = DEFAULT_MAX_RETRY_AFTER_MS,
  } = options;
  if (!Number.isInteger(attemptsMade) || attemptsMade < 0) {
    throw new RangeError(`attemptsMade must be a non-negative integer, got ${attemptsMade}`);
  }
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`jitter must be within [0, 1], got ${jitter}`);
  if (attemptsMade >= scheduleMs.length) return null;

  const base = scheduleMs[attemptsMade];
  const scheduled = jitter === 0 ? base : base * (1 + jitter * (2 * random() - 1));
  const requested = Math.min(Math.max(retryAfterMs ?? 0, 0), maxRetryAfterMs);
  return Math.round(Math.max(scheduled, requested));
}
