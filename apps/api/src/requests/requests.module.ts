import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type Redis from 'ioredis';
import { RequestViewsRepository } from '@send/read-models';
import { REDIS } from '@send/platform';
import { GetRequestViewHandler, ListRequestsHandler } from './request-view.query';
import { ReferenceNumbers } from './reference-numbers';
import { RequestsController } from './requests.controller';
import { SubmitRequestHandler } from './submit-request.handler';

@Module({
  imports: [CqrsModule],
  controllers: [RequestsController],
  providers: [
    SubmitRequestHandler,
    GetRequestViewHandler,
    ListRequestsHandler,
    ReferenceNumbers,
    { provide: RequestViewsRepository, inject: [REDIS], useFactory: (redis: Redis) => new RequestViewsRepository(redis) },
  ],
})
export class RequestsModule {}
