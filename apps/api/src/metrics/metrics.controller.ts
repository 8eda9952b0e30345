import { Controller, Get, Headers, Inject, NotFoundException, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, AppMetrics, metricsAccess, type AppConfig } from '@send/platform';
import { Public } from '../auth/auth.decorators';
import { problem, ProblemException } from '../common/problem';

/**
 * GET /metrics, Prometheus text (shared API.md, "Operations"). Not a user's route: no JWT, its own
 * rule (metricsAccess): METRICS_TOKEN bearer when set, else only outside production. In production
 * without a token it answers exactly as an unknown page would.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: AppMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const access = metricsAccess(this.config, authorization);
    if (access === 'hidden') throw new NotFoundException('Cannot GET /metrics');
    if (access === 'unauthorized') {
      void reply.header('WWW-Authenticate', 'Bearer');
      throw new ProblemException(problem(401, 'unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>.'));
    }
    const { contentType, body } = await this.metrics.scrape();
    void reply.header('content-type', contentType);
    return body;
  }
}
