import { BadRequestException, Body, Controller, Get, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { StudyId, SubmitStudyRequest } from '@pneumoscreen/contracts';
import { CapacityGuard } from '../capacity/ingest-capacity';
import { ApiKeyGuard, CurrentCaller, RequireScope, type Caller } from '../auth/api-key.guard';
import { GetStudyUseCase } from './get-study.use-case';
import { SubmitKeysUseCase } from './submit-keys.use-case';

@Controller('v1/studies')
@UseGuards(ApiKeyGuard)
export class StudiesController {
  constructor(
    private readonly submitKeys: SubmitKeysUseCase,
    private readonly getStudy: GetStudyUseCase,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(CapacityGuard)
  @RequireScope('submit')
  async submit(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    const req = SubmitStudyRequest.safeParse(body);
    if (!req.success) throw new BadRequestException(req.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    // Its refusals are domain errors, answered by HttpErrorFilter.
    return this.submitKeys.execute(req.data, caller.tenant);
  }

  @Get(':id')
  @RequireScope('status')
  async get(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    if (!StudyId.safeParse(id).success) throw new BadRequestException('not a valid study id');
    const view = await this.getStudy.execute(id, caller.tenant);
    if (!view) throw new NotFoundException(`no study ${id}`);
    return view;
  }
}
