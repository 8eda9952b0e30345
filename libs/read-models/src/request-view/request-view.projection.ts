import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChange, requestChangeKeys } from './request-change';
import { requesterUserIdOf } from './request-view';
import { dashboardRowOf } from '../dashboard/dashboard-row';

/** Keeps rm:request:<id> and the lists that index it. */
export class RequestViewProjection implements Projection {
  readonly name = 'request-view';

  readonly keysRead = requestChangeKeys;

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): Promise<void> {
    const change = await requestChange(event, reader, context);
    if (!change?.changed) return;
    const { requestId, after } = change;
    tx.setJson(keys.request(requestId), after);
    tx.setJson(keys.dashboardRow(requestId), dashboardRowOf(after));
    if (event.type === 'ContactRequestSubmitted') {
      const score = Date.parse(after.view.submittedAt);
      tx.zadd(keys.allRequests(), score, requestId);
      const requesterUserId = requesterUserIdOf(after);
      if (requesterUserId) tx.zadd(keys.requestsByRequester(requesterUserId), score, requestId);
      // Keep the reference counter ahead of every reference seen, so a rebuilt Redis never reissues one.
      const match = /^SEND-(\d{4})-(\d+)$/.exec(after.view.reference);
      if (match) tx.raiseTo(keys.referenceSequence(Number(match[1])), Number(match[2]));
    }
  }
}
