import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import { Subject } from 'rxjs';
import { LIVE_ALERTS_CHANNEL, type LiveAlert } from '@send/notifications';
import type { SessionStanding } from '../auth/session-standing';
import type { AuthUser } from '../auth/roles';
import type { AlertsOnAppend } from './alerts-on-append';
import { LiveAlerts } from './live-alerts';

const noAppends = () => ({ published: new Subject<LiveAlert>() }) as unknown as AlertsOnAppend;

/** A Redis whose subscriber connection is an EventEmitter the test publishes on. */
function fakeRedis() {
  const subscriber = Object.assign(new EventEmitter(), { subscribe: async () => 1, quit: async () => 'OK', disconnect: () => undefined });
  const redis = { duplicate: () => subscriber } as unknown as Redis;
  const publish = (alert: Record<string, unknown>) => subscriber.emit('message', LIVE_ALERTS_CHANNEL, JSON.stringify(alert));
  return { redis, publish };
}

const manager = (session?: AuthUser['session']): AuthUser => ({
  id: 'm1',
  email: 'm@x',
  name: 'M',
  role: 'service_manager',
  teamId: null,
  session,
});
const alert = { escalationId: 'e1', requestId: 'r1', level: 2, notifyRole: 'service_manager', teamId: 'north' };
const now = () => Math.floor(Date.now() / 1000);

describe('LiveAlerts: a live stream lasts as long as its session', () => {
  it('relays alerts, then ends when the token expires', async () => {
    const { redis, publish } = fakeRedis();
    const live = new LiveAlerts(redis, { stands: async () => true } as unknown as SessionStanding, noAppends());
    const seen: unknown[] = [];
    const ended = new Promise<void>((resolve) =>
      live.for(manager({ issuedAt: now(), expiresAt: now() + 1 })).subscribe({ next: (a) => seen.push(a), complete: resolve }),
    );
    publish(alert);
    await ended; // within about a second: the token's exp
    expect(seen).toEqual([{ type: 'alert', data: alert }]);
    await live.onModuleDestroy();
  });

  it('ends at the next check once the session no longer stands (revoked, disabled, password changed)', async () => {
    const { redis } = fakeRedis();
    let stands = true;
    const live = new LiveAlerts(redis, { stands: async () => stands } as unknown as SessionStanding, noAppends());
    let completed = false;
    const sub = live.for(manager({ issuedAt: now(), expiresAt: now() + 3600 }), 20).subscribe({ complete: () => (completed = true) });
    await new Promise((r) => setTimeout(r, 60));
    expect(completed).toBe(false);
    stands = false;
    await new Promise((r) => setTimeout(r, 60));
    expect(completed).toBe(true);
    sub.unsubscribe();
    await live.onModuleDestroy();
  });

  it("relays an alert once: this api's own (handed over before it publishes), its echo from Redis, and the worker's copy of the same delivery", async () => {
    const { redis, publish } = fakeRedis();
    const onAppend = noAppends();
    const live = new LiveAlerts(redis, { stands: async () => true } as unknown as SessionStanding, onAppend);
    const seen: Array<{ data: LiveAlert }> = [];
    const sub = live.for(manager()).subscribe((a) => seen.push(a as { data: LiveAlert }));
    const mine = { ...alert, deliveryId: 'ev1|in_app|role-service_manager-north', userIds: ['m1'] } as unknown as LiveAlert;
    onAppend.published.next(mine);
    publish({ ...mine }); // the echo of the api's publish
    publish({ ...mine }); // the worker's dispatch of the same event, had its publish come first
    const next = { ...alert, requestId: 'r2', deliveryId: 'ev2|in_app|role-service_manager-north', userIds: ['m1'] };
    publish(next); // the worker's, for an alert the api did not raise
    onAppend.published.next(next as unknown as LiveAlert); // and one this api raised after the worker's came
    expect(seen.map((a) => a.data.deliveryId)).toEqual([mine.deliveryId, next.deliveryId]);
    sub.unsubscribe();
    await live.onModuleDestroy();
  });
});
