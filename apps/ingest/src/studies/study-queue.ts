import type { FlowProducer, Queue } from 'bullmq';
import { JobName, QueueName, imageJobId, studyJobId, type ImageJobData, type StudyJobData } from '@pneumoscreen/contracts';
import { JOBS } from '@pneumoscreen/queue';

/** Puts a study on the queues: one parent job that runs when its last image is done. */
export interface StudyQueue {
  enqueue(study: StudyJobData, images: ImageJobData[]): Promise<void>;
  /** Whether the study's job is on the queue, in any state (waiting to finishing, failed). */
  has(bucket: string, studyId: string): Promise<boolean>;
}

export class BullStudyQueue implements StudyQueue {
  constructor(
    private readonly flows: FlowProducer,
    private readonly studyQueue: Queue,
  ) {}

  async has(bucket: string, studyId: string): Promise<boolean> {
    return (await this.studyQueue.getJob(studyJobId(bucket, studyId))) !== undefined;
  }

  async enqueue(study: StudyJobData, images: ImageJobData[]): Promise<void> {
    await this.flows.add({
      name: JobName.finaliseStudy,
      queueName: QueueName.study,
      data: study,
      opts: { ...JOBS[JobName.finaliseStudy].options, jobId: studyJobId(study.bucket, study.studyId) },
      children: images.map((image) => ({
        name: JobName.classifyImage,
        queueName: QueueName.image,
        data: image,
        opts: { ...JOBS[JobName.classifyImage].options, jobId: imageJobId(study.studyId, image) },
      })),
    });
  }
}
