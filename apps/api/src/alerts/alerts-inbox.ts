import { Injectable } from '@nestjs/common';
import { AlertsRepository, QueuesRepository, UsersRepository, type Alert, type Page, type PageRequest } from '@send/read-models';
import { Clock } from '@send/platform';

export type InboxAlert = Alert & { ownerAway: boolean };

/** A manager's alerts as GET /api/alerts and the /alerts page both list them: routed to them, with who needs cover. */
@Injectable()
export class AlertsInbox {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly queues: QueuesRepository,
    private readonly users: UsersRepository,
    private readonly clock: Clock,
  ) {}

  async page(user: { role: string; teamId?: string | null }, page: PageRequest): Promise<Page<InboxAlert>> {
    const alerts = await this.alerts.pageForUser(user, page);
    const away = await this.ownersAway(alerts.items);
    return { ...alerts, items: alerts.items.map((a) => ({ ...a, ownerAway: away.has(a.requestId) })) };
  }

  /** Which of these alerts' requests need cover: their officer is away now, or nobody took them while the case officer was. */
  private async ownersAway(alerts: readonly Alert[]): Promise<Set<string>> {
    const entries = (await this.queues.entriesOf(alerts.map((a) => a.requestId))).filter((e) => e !== null);
    const awayOfficers = await this.users.awayAmong(
      entries.flatMap((e) => (e.assignee ? [e.assignee.id] : [])),
      this.clock.now(),
    );
    return new Set(entries.filter((e) => e.needsCover || (e.assignee !== null && awayOfficers.has(e.assignee.id))).map((e) => e.id));
  }
}
