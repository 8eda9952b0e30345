import { eventIdsFor, type EventStore } from '@send/event-store';
import { availabilitySet, foldUserAccount, streamIdFor, userStreamId, type SyncCase } from '@send/domain';
import type { Policy } from '@send/sla';
import type { CaseCommandContext, CaseCommandResult } from '../cases/case-commands';
import { allDemoCases } from './demo-families';
import { TEAMS } from './demo-people';
import { DEMO_REQUEST_COUNT, DEMO_WEEKS, demoLeave, demoRequests, type DemoLeave } from './demo-stories';
import { HistoryPlayer } from './history-player';

export interface DemoDataSeederDeps {
  store: EventStore;
  policy: Policy;
  /** Allocates the next human reference for a request submitted at `at` (the api's ReferenceNumbers). */
  references: { next(at: Date): Promise<string> };
  /** The api's CaseCommands: the families' cases go through the same path as the demo cases and the import. */
  cases: { run(command: SyncCase, ctx: CaseCommandContext): Promise<CaseCommandResult> };
  clock: () => Date;
  count?: number;
  logger?: { log(line: string): void; warn(line: string): void };
}

export interface DemoDataResult {
  /** Cases the demo requests are filed on that this run created or changed (0 on a second run). */
  casesWritten: number;
  total: number;
  seeded: number;
  /** Already in the store from an earlier start: left as they are. */
  skipped: number;
  failed: number;
  events: number;
}

/**
 * DEMO_DATA=true: a realistic set of contact requests over the past 8 weeks (demo-stories.ts) on
 * the families' cases (demo-families.ts), routed as the live submission routes them and played
 * through the real decider with simulated timers (history-player.ts).
 *
 * Idempotent: cases are synced (the same case again appends nothing); request ids are uuid v5 of the story index and event ids come from eventIdsFor, and a
 * request whose stream already exists is skipped whole, so a second start appends nothing (and
 * allocates no reference). References come from the same Redis counter as live requests, in
 * submission order: a deterministic SEND-<year>-9xxxxx range would not stay apart, because the
 * request-view projection raises the counter to every reference it sees, so live requests would
 * continue from 9xxxxx.
 */
export class DemoDataSeeder {
  constructor(private readonly deps: DemoDataSeederDeps) {}

  async seed(): Promise<DemoDataResult> {
    const { store, policy, references, clock } = this.deps;
    const now = clock();
    const started = Date.now();
    // Cases first: the requests are filed on them (routing read them at submission in the story).
    let casesWritten = 0;
    for (const c of allDemoCases()) {
      const { outcome } = await this.deps.cases.run(c, { actor: { id: 'system', role: 'system' }, correlationId: 'demo-cases' });
      if (outcome !== 'unchanged') casesWritten++;
    }
    const player = new HistoryPlayer({ store, policy });
    const leave = await this.recordLeave(demoLeave(now, policy));
    const requests = demoRequests(now, policy, this.deps.count ?? DEMO_REQUEST_COUNT, leave);
    const result: DemoDataResult = { casesWritten, total: requests.length, seeded: 0, skipped: 0, failed: 0, events: 0 };
    for (const request of requests) {
      if ((await store.read(streamIdFor(request.requestId))).length > 0) {
        result.skipped++;
        continue;
      }
      try {
        result.events += await player.play(request, await references.next(request.submittedAt), now);
        result.seeded++;
      } catch (error) {
        // One bad story (e.g. a POLICY_FILE the script did not foresee) must not stop the api starting.
        result.failed++;
        this.deps.logger?.warn(`Demo data: request ${request.index} (${request.story}) not seeded: ${(error as Error).message}`);
      }
    }
    this.deps.logger?.log(
      `Demo data: ${result.total} requests over ${DEMO_WEEKS} weeks on ${allDemoCases().length} cases (seeded ${result.seeded} new, ` +
        `${casesWritten} cases written, ${Date.now() - started} ms)` +
        (result.failed ? `, ${result.failed} failed` : ''),
    );
    return result;
  }

  /**
   * The officer's past leave, on their own account as `PUT /api/officers/:id/availability` records it
   * (set by their team manager before it began), so the history's "needs cover" routing has its
   * cause. Only on an account that has never had availability set: a live setting is never
   * overwritten, and a restart appends nothing. Null (no leave in the history) when the account is
   * missing or holds another availability.
   */
  private async recordLeave(wanted: DemoLeave): Promise<DemoLeave | null> {
    const { store } = this.deps;
    const stream = userStreamId(wanted.officerId);
    const events = await store.read(stream);
    const account = foldUserAccount(events);
    if (!account || account.role !== 'officer') return null;
    const manager = TEAMS.north.manager;
    const setAt = new Date(Date.parse(wanted.awayFrom) - 3 * 24 * 3600_000);
    const event = availabilitySet(wanted.officerId, { awayFrom: wanted.awayFrom, awayUntil: wanted.awayUntil }, manager.id, setAt);
    const leave = { officerId: wanted.officerId, awayFrom: event.data.awayFrom!, awayUntil: event.data.awayUntil! };
    if (events.some((e) => e.type === 'OfficerAvailabilitySet'))
      return account.awayFrom === leave.awayFrom && account.awayUntil === leave.awayUntil ? leave : null;
    const correlationId = 'demo:leave';
    await store.append(
      stream,
      [
        {
          id: eventIdsFor(correlationId, stream)(0),
          ...event,
          metadata: { correlationId, causationId: correlationId, actor: { ...manager } },
        },
      ],
      { expectedRevision: BigInt(events.length - 1) },
    );
    return leave;
  }
}
