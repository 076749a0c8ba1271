import type { DeliveryAttempt } from './delivery';
import { DEFAULT_RETRY_SCHEDULE_MS, nextDelayMs } from './retry-schedule';

export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before each attempt; when `maxAttempts` asks for more, the last delay repeats. */
  scheduleMs?: readonly number[];
  /** Fraction each delay may vary by, either way. */
  jitter?: number;
  random?: () => number;
}

export type NextStep =
  | { kind: 'done' }
  | { kind: 'retry'; at: Date; delayMs: number }
  /** `disableEndpoint`: the receiver asked never to be called again (410). */
  | { kind: 'dead-letter'; reason: string; disableEndpoint: boolean };

function attemptSchedule({ maxAttempts, scheduleMs = DEFAULT_RETRY_SCHEDULE_MS }: RetryPolicy): number[] {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  if (scheduleMs.length === 0) throw new RangeError('the retry schedule is empty');
  return Array.from({ length: maxAttempts }, (_, i) => scheduleMs[Math.min(i, scheduleMs.length - 1)]);
}

/**
 * What follows a delivery attempt. `attemptsInRound` counts the attempts made since the message
 * was queued or last replayed, this one included; `now` is when the attempt ended. Pure: the
 * clock and the randomness are arguments.
 */
export function decideNextStep(
  attempt: Pick<DeliveryAttempt, 'outcome' | 'status' | 'error' | 'retryAfterMs'>,
  attemptsInRound: number,
  policy: RetryPolicy,
  now: Date,
): NextStep {
  switch (attempt.outcome) {
    case 'delivered':
      return { kind: 'done' };
    case 'gone':
      return { kind: 'dead-letter', reason: 'the endpoint answered 410 Gone and is now disabled', disableEndpoint: true };
    case 'refused':
      return { kind: 'dead-letter', reason: `not sent: ${attempt.error ?? 'refused'}`, disableEndpoint: false };
    case 'retry': {
      const delayMs = nextDelayMs(attemptsInRound, {
        scheduleMs: attemptSchedule(policy),
        retryAfterMs: attempt.retryAfterMs,
        jitter: policy.jitter ?? 0,
        random: policy.random,
      });
      if (delayMs === null) {
        const last = attempt.error ?? `HTTP ${attempt.status}`;
        return { kind: 'dead-letter', reason: `gave up after ${attemptsInRound} attempts; the last: ${last}`, disableEndpoint: false };
      }
      return { kind: 'retry', at: new Date(now.getTime() + delayMs), delayMs };
    }
  }
}
