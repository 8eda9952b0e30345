import { Module } from '@nestjs/common';
import { QueueController } from './queue.controller';
import { GetTeamQueueHandler } from './team-queue.query';

@Module({ controllers: [QueueController], providers: [GetTeamQueueHandler] })
export class QueueModule {}
