import { BadRequestException, Body, Controller, HttpCode, HttpException, Post, UseGuards } from '@nestjs/common';
import { FeedbackRequest, type FeedbackAccepted } from '@pneumoscreen/contracts';
import { ApiKeyGuard } from '../auth/guards';
import { FeedbackRequestError, SubmitFeedbackUseCase } from './submit-feedback.use-case';

@Controller('v1/feedback')
@UseGuards(ApiKeyGuard)
export class FeedbackController {
  constructor(private readonly submitFeedback: SubmitFeedbackUseCase) {}

  @Post()
  @HttpCode(202)
  async submit(@Body() body: unknown): Promise<FeedbackAccepted> {
    const req = FeedbackRequest.safeParse(body);
    if (!req.success) throw new BadRequestException(req.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    try {
      return await this.submitFeedback.execute(req.data);
    } catch (e) {
      if (e instanceof FeedbackRequestError) throw new HttpException(e.message, e.status);
      throw e;
    }
  }
}
