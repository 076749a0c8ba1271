import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import { AdaptersModule } from './adapters.module';
import { FeedbackPoolModule } from './feedback/feedback-pool.module';
import { TrainingPoolModule } from './training/training-pool.module';

const POOLS = { feedback: FeedbackPoolModule, training: TrainingPoolModule };

/** A trainer process runs the pools named in `TRAINER_POOLS`: labels can be stored by a small
 * always-on process while training runs on a big host only when asked. */
@Module({})
export class TrainerModule {
  static register(config: AppConfig): DynamicModule {
    if (config.trainer.pools.includes('training') && !config.trainer.dataDir) {
      throw new Error(
        'TRAINING_DATA_DIR must be set when TRAINER_POOLS includes training: it holds the base labelled data set (NORMAL/ and PNEUMONIA/ folders)',
      );
    }
    return {
      module: TrainerModule,
      imports: [AdaptersModule.register(config), ...config.trainer.pools.map((p) => POOLS[p])],
    };
  }
}
