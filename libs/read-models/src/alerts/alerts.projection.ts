import type { RecordedEvent } from '@send/event-store';
import { jsonEqual } from '../json-equal';
import { keys } from '../keys';
import type { EventContext, Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import { requestAtBatchEnd, requestChangeKeys, withRequestChange, type RequestChange } from '../request-view/request-change';
import { alertRoutingKeys, alertScore, alertsOf, alertsWithLevels, type Alert } from './alert';

/**
 * rm:alert:<escalationId> (kept after resolution), rm:alerts:open (unresolved ones by raisedAt),
 * the routing indexes rm:alerts:team:<teamId> / rm:alerts:role:<role> (by alertScore), and
 * rm:alerts:raised:<level> (every escalation that reached the level, for /metrics). Once per batch,
 * from where the request ends up (requestAtBatchEnd).
 */
export class AlertsProjection implements Projection {
  readonly name = 'alerts';

  readonly keysRead = requestChangeKeys;

  project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites, context: EventContext): void | Promise<void> {
    return withRequestChange(event, reader, context, (change) => this.apply(change, reader, tx));
  }

  private apply(change: RequestChange | null, reader: ReadModelReader, tx: ReadModelWrites): void {
    if (!change?.changed) return;
    requestAtBatchEnd(this.name, change, reader, tx, (before, after) => {
      const was = new Map<string, Alert>(alertsOf(before).map((a) => [a.escalationId, a]));
      for (const { alert, levelsReached } of alertsWithLevels(after)) {
        const previous = was.get(alert.escalationId);
        if (previous && jsonEqual(previous, alert)) continue; // this escalation did not change
        tx.set(keys.alert(alert.escalationId), JSON.stringify(alert));
        // Only its count changed (each attempt while it is open): the indexes and the levels it
        // reached stand as the batch that last placed it wrote them.
        if (previous && samePlace(previous, alert)) continue;
        // Every level it reached (one batch may raise it and advance it): a set, so replays count once.
        for (const level of levelsReached) tx.sadd(keys.alertsRaised(level), alert.escalationId);
        if (alert.status === 'resolved') tx.zrem(keys.openAlerts(), alert.escalationId);
        else tx.zadd(keys.openAlerts(), Date.parse(alert.raisedAt), alert.escalationId);
        const routed = alertRoutingKeys(alert);
        for (const key of previous ? alertRoutingKeys(previous) : []) if (!routed.includes(key)) tx.zrem(key, alert.escalationId);
        for (const key of routed) tx.zadd(key, alertScore(alert), alert.escalationId);
      }
    });
  }
}

/**
 * Same level, status, team and raising time: every index an alert is on (open, routing, by level)
 * and its scores there derive from these alone (alertRoutingKeys, alertScore, levelsReached: a
 * level is reached only by moving to it).
 */
function samePlace(a: Alert, b: Alert): boolean {
  return a.level === b.level && a.status === b.status && a.teamId === b.teamId && a.raisedAt === b.raisedAt;
}
