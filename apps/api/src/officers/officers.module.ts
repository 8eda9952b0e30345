import { Module } from '@nestjs/common';
import { OfficersController } from './officers.controller';

@Module({ controllers: [OfficersController] })
export class OfficersModule {}
