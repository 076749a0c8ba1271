import { Module } from '@nestjs/common';

// Filled in by the training pool: the retrain processor and use case.
@Module({})
export class TrainingPoolModule {}
