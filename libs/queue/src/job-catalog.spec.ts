import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError } from 'bullmq';
import { JobName, QueueName } from '@pneumoscreen/contracts';
import { JOBS, assertHandlersCoverJobs, jobsOn, parseJob } from './job-catalog';
import { QueueProcessor } from './queue-processor';

test('every queue has its jobs in the catalog, and every job one queue', () => {
  const byQueue = Object.values(QueueName).map((q) => jobsOn(q));
  assert.ok(
    byQueue.every((jobs) => jobs.length > 0),
    'no queue without jobs',
  );
  assert.deepEqual(byQueue.flat().sort(), Object.values(JobName).sort());
  assert.deepEqual(jobsOn(QueueName.image), [JobName.classifyImage]);
});

test('start-up fails when handlers and the catalog disagree, naming how', () => {
  assert.doesNotThrow(() => assertHandlersCoverJobs(QueueName.study, [JobName.finaliseStudy]));
  assert.throws(
    () => assertHandlersCoverJobs(QueueName.study, []),
    /queue pneumoscreen-study: handlers do not match its jobs; no handler for finalise-study$/,
  );
  assert.throws(
    () => assertHandlersCoverJobs(QueueName.study, [JobName.finaliseStudy, JobName.finaliseStudy]),
    /several handlers for finalise-study$/,
  );
  assert.throws(
    () => assertHandlersCoverJobs(QueueName.study, [JobName.finaliseStudy, JobName.retrain]),
    /handlers for unknown jobs retrain$/,
  );
});

test('a payload that cannot parse is unrecoverable, named by field and never by value', () => {
  const good = { studyId: 's-1', bucket: 'b', key: 'k.png', etag: 'e' };
  assert.deepEqual(parseJob(JobName.classifyImage, good), good);
  assert.throws(
    () => parseJob(JobName.classifyImage, { ...good, key: 42, etag: 'patient-name-Jane-Doe' }),
    (e: Error) =>
      e instanceof UnrecoverableError &&
      /^invalid classify-image payload: key: Expected string/.test(e.message) &&
      !e.message.includes('Jane'),
  );
  assert.equal(JOBS[JobName.deliverWebhook].options(3).attempts, 3);
});

test('a processor whose handlers miss a job of its queue fails at start-up', () => {
  class Incomplete extends QueueProcessor<typeof QueueName.study> {
    // What the type system refuses (JobHandlers<study> needs finalise-study), forced here.
    protected readonly handlers = {} as never;
    constructor() {
      super(QueueName.study);
    }
  }
  assert.throws(
    () => new Incomplete().onModuleInit(),
    /queue pneumoscreen-study: handlers do not match its jobs; no handler for finalise-study/,
  );
});
