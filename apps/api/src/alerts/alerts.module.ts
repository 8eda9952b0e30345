import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { RequestsModule } from '../requests/requests.module';
import { AcknowledgeEscalationHandler } from './acknowledge-escalation.handler';
import { AlertsController } from './alerts.controller';
import { LiveAlerts } from './live-alerts';

@Module({
  imports: [CqrsModule, RequestsModule],
  controllers: [AlertsController],
  providers: [AcknowledgeEscalationHandler, LiveAlerts],
})
export class AlertsModule {}
