import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { concatMap, filter, interval, map, merge, NEVER, Observable, Subject, takeUntil, tap, timer } from 'rxjs';
import { LIVE_ALERTS_CHANNEL, traceAlert, type LiveAlert } from '@send/notifications';
import { REDIS } from '@send/platform';
import { isRoutedTo } from '@send/read-models';
import type { AuthUser } from '../auth/roles';
import { SessionStanding } from '../auth/session-standing';
import { AlertsOnAppend } from './alerts-on-append';

/** Delivery ids remembered to drop repeats of an alert (see LiveAlerts.deliver). */
const RELAYED_KEPT = 10_000;

/** How often a live stream asks whether its session still stands (revoked, disabled, password changed). */
export const STREAM_STANDING_CHECK_MS = 30_000;

/** Is this live alert for this user: named as a recipient, or routed to them as GET /api/alerts routes. */
export function isLiveAlertFor(alert: LiveAlert, user: AuthUser): boolean {
  if (alert.userIds?.includes(user.id)) return true;
  return alert.level !== null && isRoutedTo({ level: alert.level, teamId: alert.teamId ?? null, status: 'open' }, user);
}

/**
 * One Redis subscription per api process, fanned out to every connected SSE client. The worker's
 * in-app channel publishes, and so does the api for the escalations its own commands raise
 * (AlertsOnAppend, ADR 0002); a client that is not connected misses the push but still finds the
 * alert in GET /api/alerts.
 */
@Injectable()
export class LiveAlerts implements OnModuleDestroy {
  private readonly logger = new Logger(LiveAlerts.name);
  private readonly alerts = new Subject<LiveAlert>();
  private subscriber?: Redis;

  /** Delivery ids relayed lately, oldest first: each alert reaches the streams once (see deliver). */
  private readonly relayed = new Set<string>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly standing: SessionStanding,
    onAppend: AlertsOnAppend,
  ) {
    onAppend.published.subscribe((alert) => this.deliver(alert));
  }

  /**
   * An alert reaches this process twice or three times: handed over by this process's own command
   * (AlertsOnAppend, before it publishes), then as the echo of that publish, or as the worker's
   * publish of the same delivery when the worker came first (its Lua mark then stops the api's).
   * The first one is relayed; the others, same deliveryId, are dropped.
   */
  private deliver(alert: LiveAlert): void {
    if (alert.deliveryId) {
      if (this.relayed.has(alert.deliveryId)) return;
      this.relayed.add(alert.deliveryId);
      // Enough for the worker's copy, which follows within seconds (or never: the mark stops it).
      if (this.relayed.size > RELAYED_KEPT) this.relayed.delete(this.relayed.values().next().value!);
    }
    traceAlert('received', alert.requestId);
    this.alerts.next(alert);
  }

  private connect(): void {
    if (this.subscriber) return;
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.deliver(JSON.parse(message) as LiveAlert);
      } catch (err) {
        this.logger.warn(`ignored a live alert that is not JSON: ${(err as Error).message}`);
      }
    });
    void this.subscriber.subscribe(LIVE_ALERTS_CHANNEL);
  }

  /**
   * The alerts routed to this user, live, for as long as their session lasts: the stream ends when
   * its token expires, and within STREAM_STANDING_CHECK_MS of the session being ended (ADR 0015),
   * so a stream opened with a token never outlives it. The client reconnects and must sign in again.
   */
  for(user: AuthUser, checkEveryMs = STREAM_STANDING_CHECK_MS): Observable<{ type: string; data: LiveAlert }> {
    this.connect();
    const session = user.session;
    const ended = session
      ? merge(
          timer(Math.max(0, session.expiresAt * 1000 - Date.now())),
          interval(checkEveryMs).pipe(
            concatMap(() => this.standing.stands(user.id, session.issuedAt)),
            filter((stands) => !stands),
          ),
        )
      : NEVER;
    return this.alerts.pipe(
      filter((alert) => isLiveAlertFor(alert, user)),
      map((alert) => ({ type: 'alert', data: alert })),
      tap((event) => traceAlert('sse-write', event.data.requestId)),
      takeUntil(ended),
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.alerts.complete();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
