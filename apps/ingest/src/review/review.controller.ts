import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  Inject,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentCaller } from '../auth/api-key.guard';
import type { Caller } from '../auth/api-keys';
import { BuildWorklistUseCase } from './build-worklist.use-case';
import { GetHeatmapUseCase } from './get-heatmap.use-case';
import { ReviewAuth } from './review-auth';
import { ReviewPage } from './review-page';
import { ReviewSessionGuard } from './review-session.guard';
import { clearedSessionCookie, fromSameOrigin, sessionCookie, sessionToken } from './session-cookie';
import type { WorklistStudy } from './worklist';

const DEFAULT_STUDIES = 50;
const MAX_STUDIES = 200;

/** `/review`: the readers' worklist page, its sign-in, and what the page reads. */
@Controller('review')
export class ReviewController {
  constructor(
    @Inject(ReviewAuth) private readonly auth: ReviewAuth,
    @Inject(ReviewPage) private readonly page: ReviewPage,
    private readonly worklist: BuildWorklistUseCase,
    private readonly heatmaps: GetHeatmapUseCase,
  ) {}

  @Get()
  async show(@Req() req: Request, @Res() res: Response) {
    const token = sessionToken(req);
    const signedIn = token !== undefined && (await this.auth.caller(token)) !== null;
    res.type('html').send(signedIn ? this.page.worklistHtml : this.page.signIn());
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response) {
    const asset = this.page.asset(name);
    if (!asset) throw new NotFoundException();
    res.type(asset.type).send(asset.body);
  }

  @Post('session')
  async signIn(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    if (!fromSameOrigin(req)) throw new ForbiddenException('sign in from the review page');
    const token = await this.auth.signIn(String(body?.apiKey ?? ''), String(body?.readerId ?? ''));
    if (!token) {
      res.status(401).type('html').send(this.page.signIn(true));
      return;
    }
    res.setHeader('Set-Cookie', sessionCookie(token));
    res.redirect(303, '/review');
  }

  @Post('session/end')
  async signOut(@Req() req: Request, @Res() res: Response) {
    if (!fromSameOrigin(req)) throw new ForbiddenException('sign out from the review page');
    const token = sessionToken(req);
    if (token !== undefined) await this.auth.signOut(token);
    res.setHeader('Set-Cookie', clearedSessionCookie());
    res.redirect(303, '/review');
  }

  @Get('worklist')
  @UseGuards(ReviewSessionGuard)
  async list(
    @CurrentCaller() caller: Caller,
    @Query('limit') limit?: string,
  ): Promise<{ tenantId: string; readerId: string; studies: WorklistStudy[] }> {
    const n = limit === undefined ? DEFAULT_STUDIES : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_STUDIES)
      throw new BadRequestException(`limit must be a whole number from 1 to ${MAX_STUDIES}`);
    return { tenantId: caller.tenant.id, readerId: caller.readerId!, studies: await this.worklist.execute(caller.tenant, n) };
  }

  @Get('heatmaps/:bucket/:studyId/:index')
  @UseGuards(ReviewSessionGuard)
  async heatmap(
    @CurrentCaller() caller: Caller,
    @Param('bucket') bucket: string,
    @Param('studyId') studyId: string,
    @Param('index', ParseIntPipe) index: number,
    @Res() res: Response,
  ) {
    const png = await this.heatmaps.execute(caller.tenant, bucket, studyId, index);
    if (!png) throw new NotFoundException('no such heatmap');
    res.type('image/png').send(png);
  }
}
