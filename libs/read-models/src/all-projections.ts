import { AlertsProjection } from './alerts/alerts.projection';
import { CasesProjection } from './cases/cases.projection';
import type { Projection } from './projector';
import { QueuesProjection } from './queues/queues.projection';
import { TelephonyProjection } from './telephony/telephony.projection';
import { RequestViewProjection } from './request-view/request-view.projection';
import { TimelineProjection } from './timeline/timeline.projection';
import { UsersProjection } from './users/users.projection';

/**
 * Every read model, in the order they are applied within an event's MULTI. The users directory
 * first: the request view resolves assignee names from it (for later events; all read the state
 * before the MULTI).
 */
export function allProjections(): Projection[] {
  return [
    new UsersProjection(),
    new RequestViewProjection(),
    new TimelineProjection(),
    new QueuesProjection(),
    new AlertsProjection(),
    new CasesProjection(),
    new TelephonyProjection(),
  ];
}
