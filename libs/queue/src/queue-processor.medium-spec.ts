import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { JobName, QueueName, type StudyJobData } from '@pneumoscreen/contracts';
import { createRedisConnection } from './connection';
import { JOBS } from './job-catalog';
import { QueueProcessor, type JobHandlers } from './queue-processor';
import { redisOptionsFromUrl } from './redis-url';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

class StudyProcessor extends QueueProcessor<typeof QueueName.study> {
  readonly seen: StudyJobData[] = [];
  protected readonly handlers: JobHandlers<typeof QueueName.study> = {
    [JobName.finaliseStudy]: async (study) => (this.seen.push(study), { ok: true }),
  };
  constructor() {
    super(QueueName.study);
  }
}

test('a payload that can never parse fails at once, spending one attempt of its eight; a good one reaches its handler parsed', async () => {
  const prefix = `psqueue-${randomBytes(4).toString('hex')}`;
  const connection = createRedisConnection(REDIS_URL, 'worker');
  const queue = new Queue(QueueName.study, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
  const events = new QueueEvents(QueueName.study, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
  const processor = new StudyProcessor();
  processor.onModuleInit();
  const worker = new Worker(QueueName.study, (job: Job, token?: string) => processor.process(job, token), { connection, prefix });
  try {
    await events.waitUntilReady();
    const options = JOBS[JobName.finaliseStudy].options;
    assert.equal(options.attempts, 8, 'the catalog gives finalising eight attempts, minutes of backoff');
    const started = Date.now();
    const bad = await queue.add(JobName.finaliseStudy, { studyId: 's-1', bucket: 'b', imageCount: 'three' }, options);
    await assert.rejects(bad.waitUntilFinished(events), /invalid finalise-study payload: imageCount: Expected number, received string/);
    const failed = (await queue.getJob(bad.id!))!;
    assert.equal(failed.attemptsMade, 1);
    assert.ok(Date.now() - started < 5_000, 'failed within seconds, not after minutes of retries');

    const good = await queue.add(
      JobName.finaliseStudy,
      { studyId: 's-2', bucket: 'b', imageCount: 3, submittedAt: '2025-06-01T12:00:00.000Z', extra: 'dropped' },
      options,
    );
    assert.deepEqual(await good.waitUntilFinished(events), { ok: true });
    assert.deepEqual(processor.seen, [{ studyId: 's-2', bucket: 'b', imageCount: 3, submittedAt: '2025-06-01T12:00:00.000Z' }]);
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
  }
});
