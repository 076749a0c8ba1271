import type { Job, Queue } from 'bullmq';
import { WebhookJobData, type DeliveryAttemptRecord, type DisabledEndpoint } from '@pneumoscreen/contracts';
import type { EndpointStatus } from './endpoint-status';

/** A message in the webhook queue's failed set, as an operator needs to see it. */
export interface DeadLetter {
  jobId: string;
  /** The `webhook-id` the receiver saw, and will see again on replay. */
  messageId: string;
  url: string;
  /** From the payload, to tell messages apart; the payload itself is not shown. */
  eventType?: string;
  studyId?: string;
  failedAt?: string;
  reason: string;
  attempts: DeliveryAttemptRecord[];
  replays: WebhookJobData['replays'];
  endpointDisabled?: DisabledEndpoint;
  /** Set when the job's payload does not parse; such a message cannot be replayed. */
  invalidPayload?: string;
}

function eventSummary(body: string): Pick<DeadLetter, 'eventType' | 'studyId'> {
  try {
    const event = JSON.parse(body) as { type?: unknown; data?: { studyId?: unknown } };
    return {
      eventType: typeof event.type === 'string' ? event.type : undefined,
      studyId: typeof event.data?.studyId === 'string' ? event.data.studyId : undefined,
    };
  } catch {
    return {};
  }
}

async function toDeadLetter(job: Job, endpoints: EndpointStatus): Promise<DeadLetter> {
  const base = {
    jobId: String(job.id),
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
    reason: job.failedReason ?? '',
  };
  const parsed = WebhookJobData.safeParse(job.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const data = (job.data ?? {}) as Record<string, unknown>;
    return {
      ...base,
      messageId: typeof data.messageId === 'string' ? data.messageId : base.jobId,
      url: typeof data.url === 'string' ? data.url : '',
      attempts: [],
      replays: [],
      invalidPayload: `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    };
  }
  const m = parsed.data;
  const endpointDisabled = (await endpoints.disabled(m.url)) ?? undefined;
  return {
    ...base,
    messageId: m.messageId,
    url: m.url,
    ...eventSummary(m.body),
    attempts: m.attempts,
    replays: m.replays,
    endpointDisabled,
  };
}

async function failedJobs(queue: Queue): Promise<Job[]> {
  const jobs = await queue.getFailed(0, -1);
  return jobs.sort((a, b) => (a.finishedOn ?? 0) - (b.finishedOn ?? 0));
}

/** The dead-letter list, oldest failure first, with every attempt of every message. */
export async function listDeadLetters(queue: Queue, endpoints: EndpointStatus): Promise<DeadLetter[]> {
  return Promise.all((await failedJobs(queue)).map((job) => toDeadLetter(job, endpoints)));
}

/** Job ids or webhook ids (a webhook id picks every failed delivery of that message), or every
 * message that failed at or after a time. */
export type ReplaySelection = { ids: readonly string[] } | { since: Date };

export interface ReplayReport {
  replayed: DeadLetter[];
  skipped: Array<{ deadLetter: DeadLetter; why: string }>;
  /** Requested ids that match nothing in the dead-letter list. */
  unknown: string[];
}

/**
 * Sends dead-lettered messages again. Each keeps its job and so its `webhook-id`, which lets the
 * receiver drop it if an earlier attempt did arrive after all, and gets a fresh retry schedule.
 * Messages to a disabled endpoint are skipped: they would fail again at once.
 */
export async function replayDeadLetters(
  queue: Queue,
  endpoints: EndpointStatus,
  selection: ReplaySelection,
  now: Date,
): Promise<ReplayReport> {
  const failed = await failedJobs(queue);
  let chosen: Job[];
  let unknown: string[] = [];
  if ('ids' in selection) {
    const matches = (job: Job, id: string) => job.id === id || job.data?.messageId === id;
    chosen = failed.filter((job) => selection.ids.some((id) => matches(job, id)));
    unknown = selection.ids.filter((id) => !failed.some((job) => matches(job, id)));
  } else {
    chosen = failed.filter((job) => (job.finishedOn ?? 0) >= selection.since.getTime());
  }

  const report: ReplayReport = { replayed: [], skipped: [], unknown };
  for (const job of chosen) {
    const deadLetter = await toDeadLetter(job, endpoints);
    if (deadLetter.invalidPayload) {
      report.skipped.push({ deadLetter, why: `its payload is invalid (${deadLetter.invalidPayload})` });
    } else if (deadLetter.endpointDisabled) {
      report.skipped.push({ deadLetter, why: `its endpoint is disabled since ${deadLetter.endpointDisabled.since}; enable it first` });
    } else {
      const data = WebhookJobData.parse(job.data);
      // Recorded before the job moves, so the worker that picks it up already sees a fresh round.
      await job.updateData({ ...data, replays: [...data.replays, { at: now.toISOString(), firstAttempt: data.attempts.length }] });
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      report.replayed.push(deadLetter);
    }
  }
  return report;
}

const AGO = /^(\d+)(m|h|d)$/;
const AGO_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since`: an ISO 8601 time (`2025-06-01`, `2025-06-01T12:00:00Z`) or a span back from now
 * (`30m`, `2h`, `7d`). */
export function parseSince(text: string, now: Date): Date {
  const ago = AGO.exec(text.trim());
  if (ago) return new Date(now.getTime() - Number(ago[1]) * AGO_MS[ago[2] as keyof typeof AGO_MS]);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : NaN;
  if (Number.isNaN(at)) {
    throw new Error(`--since takes an ISO 8601 time (2025-06-01T12:00:00Z) or a span back from now (30m, 2h, 7d), not "${text}"`);
  }
  return new Date(at);
}
