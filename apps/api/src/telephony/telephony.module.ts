import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type Redis from 'ioredis';
import { TelephonyRepository } from '@send/read-models';
import { REDIS } from '@send/platform';
import { RequestsModule } from '../requests/requests.module';
import { CallCommands } from './call-commands';
import { CallFiling } from './call-filing';
import { LinkNumberHandler } from './link-number.handler';
import { ReceiveCallHandler } from './receive-call.handler';
import { TelephonyController } from './telephony.controller';

const onRedis = <T>(Repository: new (redis: Redis) => T) => ({
  provide: Repository,
  inject: [REDIS],
  useFactory: (redis: Redis) => new Repository(redis),
});

/** POST /api/telephony/calls and the unmatched list: calls from the telephony system become unanswered attempts. */
@Module({
  imports: [CqrsModule, RequestsModule],
  controllers: [TelephonyController],
  providers: [CallCommands, CallFiling, ReceiveCallHandler, LinkNumberHandler, onRedis(TelephonyRepository)],
})
export class TelephonyModule {}
