import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CqrsModule } from '@nestjs/cqrs';
import { RequestsModule } from '../requests/requests.module';
import { AcknowledgeEscalationHandler } from './acknowledge-escalation.handler';
import { AlertsController } from './alerts.controller';
import { AlertsInbox } from './alerts-inbox';
import { LiveAlerts } from './live-alerts';

@Module({
  imports: [CqrsModule, RequestsModule, AuthModule],
  controllers: [AlertsController],
  providers: [AcknowledgeEscalationHandler, AlertsInbox, LiveAlerts],
  // The /alerts page lists the same inbox and relays the same live stream (one Redis subscription per process).
  exports: [AlertsInbox, LiveAlerts],
})
export class AlertsModule {}
