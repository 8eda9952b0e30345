import { Module } from '@nestjs/common';
import { MyNotificationsController } from './my-notifications.controller';

@Module({ controllers: [MyNotificationsController] })
export class MeModule {}
