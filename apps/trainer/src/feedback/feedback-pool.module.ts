import { Module } from '@nestjs/common';

// Filled in by the feedback pool: the record-feedback processor and use case.
@Module({})
export class FeedbackPoolModule {}
