import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, AppMetrics, metricsAccess, type AppConfig } from '@send/platform';

/**
 * The worker's own GET /metrics (Node's metrics, event loop lag, its event store commits): it has
 * no HTTP server otherwise, so this one listens only when METRICS_PORT is set, under the same
 * access rule as the api's. What the system holds (lag, timers, failures, alerts) is the api's to
 * report: it reads the shared stores.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server: Server | null = null;

  constructor(
    private readonly metrics: AppMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The port it listens on (useful when METRICS_PORT asked for any free one in tests). */
  get port(): number | null {
    return (this.server?.address() as AddressInfo | null)?.port ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.METRICS_PORT === undefined) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const access = req.method === 'GET' && path === '/metrics' ? metricsAccess(this.config, req.headers.authorization) : 'hidden';
      if (access !== 'allow') {
        res.writeHead(access === 'hidden' ? 404 : 401, access === 'hidden' ? {} : { 'WWW-Authenticate': 'Bearer' }).end();
        return;
      }
      this.metrics.scrape().then(
        ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType }).end(body),
        (error: Error) => {
          this.logger.error(`metrics: ${error.message}`);
          res.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.config.METRICS_PORT, this.config.HOST, resolve));
    this.server = server;
    this.logger.log(`metrics on http://${this.config.HOST}:${this.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
