import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';
import { AppMetrics } from '@send/platform';

/**
 * HTTP latency by method, route pattern (never the raw URL: ids would make a series per request)
 * and status. Hooked into Fastify when the module is built, before any route is registered.
 */
@Injectable()
export class HttpMetrics {
  constructor(adapterHost: HttpAdapterHost, metrics: AppMetrics) {
    const duration = new Histogram({
      name: 'send_http_request_duration_seconds',
      help: 'HTTP response time by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics.registry],
    });
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // A callback hook: an async one would cost a promise per request for work that never waits.
    fastify?.addHook('onResponse', (request, reply, done) => {
      duration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
}
