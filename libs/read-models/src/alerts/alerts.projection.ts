import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChange, requestChangeKeys } from '../request-view/request-change';
import { alertsOf } from './alert';

/** rm:alert:<escalationId> (kept after resolution), rm:alerts:open (unresolved ones by raisedAt), rm:alerts:raised:<level>. */
export class AlertsProjection implements Projection {
  readonly name = 'alerts';

  readonly keysRead = requestChangeKeys;

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): Promise<void> {
    const change = await requestChange(event, reader, context);
    if (!change?.changed) return;
    const before = new Map(alertsOf(change.before).map((a) => [a.escalationId, JSON.stringify(a)]));
    for (const alert of alertsOf(change.after)) {
      const json = JSON.stringify(alert);
      if (before.get(alert.escalationId) === json) continue; // this escalation did not change
      tx.set(keys.alert(alert.escalationId), json);
      tx.sadd(keys.alertsRaised(alert.level), alert.escalationId); // a set: replays and re-deliveries count once
      if (alert.status === 'resolved') tx.zrem(keys.openAlerts(), alert.escalationId);
      else tx.zadd(keys.openAlerts(), Date.parse(alert.raisedAt), alert.escalationId);
    }
  }
}
