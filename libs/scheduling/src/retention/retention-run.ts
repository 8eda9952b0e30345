import { REQUEST_STREAM_PREFIX, type PersonalDataErased } from '@send/domain';
import { erasureEventId, retentionErasureId } from '@send/domain';
import { readAllToHead, withoutDecryption, type DataKeyStore, type EventStore } from '@send/event-store';
import { isPastRetention, type Policy } from '@send/sla';

/** Who retention's events say did it. */
export const RETENTION_ACTOR = { id: 'system:retention', role: 'system' } as const;

export interface RetentionOptions {
  store: EventStore;
  dataKeys: DataKeyStore;
  policy: Policy;
  clock: () => Date;
  /** Told after the scan (`done` 0) and after each request erased. */
  onProgress?(progress: { done: number; total: number }): void;
}

export interface RetentionReport {
  /** Requests whose latest lifecycle event is a resolution (resolved now). */
  resolved: number;
  /** Of those, resolved longer ago than retention.closedRequests. */
  pastRetention: number;
  /** Erased by this run. */
  erased: number;
  /** Erased by an earlier run (their keys deleted again, in case that run stopped between the two steps). */
  alreadyErased: number;
  /** Data keys deleted by this run. */
  keysDeleted: number;
  ms: number;
}

/** The request lifecycle events that decide whether, and since when, a request is resolved; and retention's own mark. */
const LIFECYCLE = ['RequestResolved', 'RequestReopened', 'PersonalDataErased'];

/**
 * One retention run (issue 14, ADR 0017): every request resolved longer ago than the policy's
 * `retention.closedRequests` (calendar time from its latest resolution; a reopened request counts
 * from when it was resolved again) gets a PersonalDataErased {reason: 'retention'}, then its stream's
 * keys are deleted (`DataKeyStore.eraseScope`). Idempotent: the event's id is the stream's, so a
 * second run appends nothing, and deleting keys already gone deletes none. One pass over the
 * request streams' lifecycle events; memory holds one entry per resolved request.
 */
export async function runRetention(options: RetentionOptions): Promise<RetentionReport> {
  const started = Date.now();
  const now = options.clock();
  /** Per request stream: when it was last resolved (null: reopened since). */
  const resolvedAt = new Map<string, string | null>();
  const markedBefore = new Set<string>();
  // Times and reasons only, none of them personal: the scan decrypts nothing.
  await readAllToHead(
    withoutDecryption(options.store),
    (event) => {
      const data = event.data as { at?: string; reason?: string };
      if (event.type === 'RequestResolved' && typeof data.at === 'string') resolvedAt.set(event.streamId, data.at);
      else if (event.type === 'RequestReopened') resolvedAt.set(event.streamId, null);
      else if (event.type === 'PersonalDataErased' && data.reason === 'retention') markedBefore.add(event.streamId);
    },
    { streamPrefixes: [REQUEST_STREAM_PREFIX], eventTypes: LIFECYCLE },
  );
  const resolved = [...resolvedAt].filter((entry): entry is [string, string] => entry[1] !== null);
  const past = resolved.filter(([, at]) => isPastRetention(options.policy, at, now)).map(([streamId]) => streamId);

  const report: RetentionReport = {
    resolved: resolved.length,
    pastRetention: past.length,
    erased: 0,
    alreadyErased: 0,
    keysDeleted: 0,
    ms: 0,
  };
  options.onProgress?.({ done: 0, total: past.length });
  for (const [i, streamId] of past.entries()) {
    if (markedBefore.has(streamId)) report.alreadyErased += 1;
    else {
      const erasureId = retentionErasureId(streamId);
      const event: PersonalDataErased = {
        type: 'PersonalDataErased',
        data: { schemaVersion: 1, erasureId, reason: 'retention', by: RETENTION_ACTOR.id, at: now.toISOString() },
      };
      // Marked first, then the keys: a run stopped between the two leaves it marked, and the next run deletes the keys.
      await options.store.append(
        streamId,
        [{ id: erasureEventId(erasureId, streamId), type: event.type, data: event.data, metadata: { actor: { ...RETENTION_ACTOR } } }],
        { expectedRevision: 'any' },
      );
      report.erased += 1;
    }
    report.keysDeleted += await options.dataKeys.eraseScope(streamId);
    options.onProgress?.({ done: i + 1, total: past.length });
  }
  report.ms = Date.now() - started;
  return report;
}
