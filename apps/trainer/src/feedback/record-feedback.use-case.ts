import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FeedbackJobData } from '@pneumoscreen/contracts';
import type { FeedbackStore } from '@pneumoscreen/feedback';
import type { Clock } from '@pneumoscreen/studies';
import { CLOCK, FEEDBACK_STORE } from '../tokens';

/**
 * Stores one queued label as a record of the append-only feedback data set. The record's key comes
 * from the label's id and receipt time, so a retried job lands on the record it may already have
 * written and leaves it as it was.
 */
@Injectable()
export class RecordFeedbackUseCase {
  private readonly log = new Logger(RecordFeedbackUseCase.name);

  constructor(
    @Inject(FEEDBACK_STORE) private readonly feedback: Pick<FeedbackStore, 'append' | 'has'>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Returns whether this call wrote the record (false: an earlier attempt did). */
  async execute(label: FeedbackJobData): Promise<{ written: boolean }> {
    if (await this.feedback.has(label)) return { written: false };
    await this.feedback.append({ ...label, recordedAt: this.clock.now().toISOString() });
    this.log.log(
      `recorded feedback ${label.feedbackId}: ${label.scope} label for ${label.images.length} image(s) of study ${label.studyId}`,
    );
    return { written: true };
  }
}
