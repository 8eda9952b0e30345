import { Module } from '@nestjs/common';
import { OfficersController } from './officers.controller';
import { SetAvailabilityHandler } from './set-availability.handler';

@Module({ controllers: [OfficersController], providers: [SetAvailabilityHandler] })
export class OfficersModule {}
