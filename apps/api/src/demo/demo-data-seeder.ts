import type { EventStore } from '@send/event-store';
import { streamIdFor } from '@send/domain';
import type { Policy } from '@send/sla';
import { DEMO_REQUEST_COUNT, DEMO_WEEKS, demoRequests } from './demo-stories';
import { HistoryPlayer } from './history-player';

export interface DemoDataSeederDeps {
  store: EventStore;
  policy: Policy;
  /** Allocates the next human reference for a request submitted at `at` (the api's ReferenceNumbers). */
  references: { next(at: Date): Promise<string> };
  clock: () => Date;
  count?: number;
  logger?: { log(line: string): void; warn(line: string): void };
}

export interface DemoDataResult {
  total: number;
  seeded: number;
  /** Already in the store from an earlier start: left as they are. */
  skipped: number;
  failed: number;
  events: number;
}

/**
 * DEMO_DATA=true: a realistic set of contact requests over the past 8 weeks (demo-stories.ts),
 * played through the real decider with simulated timers (history-player.ts).
 *
 * Idempotent: request ids are uuid v5 of the story index and event ids come from eventIdsFor, and a
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
    const player = new HistoryPlayer({ store, policy });
    const requests = demoRequests(now, policy, this.deps.count ?? DEMO_REQUEST_COUNT);
    const result: DemoDataResult = { total: requests.length, seeded: 0, skipped: 0, failed: 0, events: 0 };
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
      `Demo data: ${result.total} requests over ${DEMO_WEEKS} weeks (seeded ${result.seeded} new)` +
        (result.failed ? `, ${result.failed} failed` : ''),
    );
    return result;
  }
}
