import type { RecordedEvent } from '@send/event-store';
import { jsonEqual } from '../json-equal';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestChange, requestChangeKeys } from '../request-view/request-change';
import { alertRoutingKeys, alertScore, alertsOf, type Alert } from './alert';

/**
 * rm:alert:<escalationId> (kept after resolution), rm:alerts:open (unresolved ones by raisedAt),
 * the routing indexes rm:alerts:team:<teamId> / rm:alerts:role:<role> (by alertScore), and
 * rm:alerts:raised:<level> (every escalation that reached the level, for /metrics).
 */
export class AlertsProjection implements Projection {
  readonly name = 'alerts';

  readonly keysRead = requestChangeKeys;

  async project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): Promise<void> {
    const change = await requestChange(event, reader, context);
    if (!change?.changed) return;
    const before = new Map<string, Alert>(alertsOf(change.before).map((a) => [a.escalationId, a]));
    for (const alert of alertsOf(change.after)) {
      const previous = before.get(alert.escalationId);
      if (previous && jsonEqual(previous, alert)) continue; // this escalation did not change
      tx.set(keys.alert(alert.escalationId), JSON.stringify(alert));
      tx.sadd(keys.alertsRaised(alert.level), alert.escalationId); // a set: replays and re-deliveries count once
      if (alert.status === 'resolved') tx.zrem(keys.openAlerts(), alert.escalationId);
      else tx.zadd(keys.openAlerts(), Date.parse(alert.raisedAt), alert.escalationId);
      const routed = alertRoutingKeys(alert);
      for (const key of previous ? alertRoutingKeys(previous) : []) if (!routed.includes(key)) tx.zrem(key, alert.escalationId);
      for (const key of routed) tx.zadd(key, alertScore(alert), alert.escalationId);
    }
  }
}
