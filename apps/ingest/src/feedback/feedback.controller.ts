import { BadRequestException, Body, Controller, ForbiddenException, HttpCode, Post, UseGuards } from '@nestjs/common';
import { FeedbackRequest, type FeedbackAccepted } from '@pneumoscreen/contracts';
import { ApiKeyGuard, CurrentCaller, RequireScope, type Caller } from '../auth/api-key.guard';
import { SubmitFeedbackUseCase } from './submit-feedback.use-case';

@Controller('v1/feedback')
@UseGuards(ApiKeyGuard)
export class FeedbackController {
  constructor(private readonly submitFeedback: SubmitFeedbackUseCase) {}

  @Post()
  @HttpCode(202)
  @RequireScope('feedback')
  async submit(@Body() body: unknown, @CurrentCaller() caller: Caller): Promise<FeedbackAccepted> {
    const req = FeedbackRequest.safeParse(body);
    if (!req.success) throw new BadRequestException(req.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    if (caller.readerId !== undefined && req.data.readerId !== caller.readerId)
      throw new ForbiddenException(`signed in to the review page as reader ${caller.readerId}: labels name that reader`);
    // Its refusals are domain errors, answered by HttpErrorFilter.
    return this.submitFeedback.execute(req.data, caller.tenant);
  }
}
