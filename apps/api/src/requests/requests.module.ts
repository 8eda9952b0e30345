import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AlertsOnAppend } from '../alerts/alerts-on-append';
import { AssignRequestHandler } from './assign-request.handler';
import { RecordAttemptHandler } from './record-attempt.handler';
import { RecordFailedCallBackHandler } from './record-failed-call-back.handler';
import { RecordResponseHandler } from './record-response.handler';
import { RequestAccess } from './request-access';
import { RequestCommands } from './request-commands';
import { RequestRouting } from './request-routing';
import { GetRequestViewHandler, ListRequestsHandler } from './request-view.query';
import { ReopenRequestHandler, ResolveRequestHandler, SetPriorityHandler } from './resolve-request.handler';
import { RouteRequestHandler } from './route-request.handler';
import { GetTimelineHandler } from './timeline.query';
import { ReferenceNumbers } from './reference-numbers';
import { RequestsController } from './requests.controller';
import { SubmitRequestHandler } from './submit-request.handler';

@Module({
  imports: [CqrsModule],
  controllers: [RequestsController],
  providers: [
    SubmitRequestHandler,
    RecordAttemptHandler,
    AssignRequestHandler,
    RecordResponseHandler,
    RecordFailedCallBackHandler,
    ResolveRequestHandler,
    ReopenRequestHandler,
    SetPriorityHandler,
    RouteRequestHandler,
    RequestAccess,
    RequestCommands,
    RequestRouting,
    GetRequestViewHandler,
    ListRequestsHandler,
    ReferenceNumbers,
    GetTimelineHandler,
    // Here, not in AlertsModule (which imports this one): RequestCommands publishes the alerts its commands raise.
    AlertsOnAppend,
  ],
  exports: [RequestCommands, RequestAccess, RequestRouting, AlertsOnAppend],
})
export class RequestsModule {}
