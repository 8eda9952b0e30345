/**
 * The after-the-fact checks the fault runner (faults.ts) and the load run (load.ts) make once the
 * system has settled. Each returns a list of problems, empty when the check holds:
 *
 * (a) checkAccepted: every command the driver saw a 2xx answer to is stored exactly once (by its
 *     request, attempt or response id), and no event id appears twice in $all.
 * (b) checkAlerts: no alert raised twice for one trigger (escalation id; level reached; re-notification;
 *     clock and due date of a breach), no timer the policy makes due left unfired past a grace
 *     period, one message (one Message-ID, the delivery id) per alert, level and recipient, and
 *     every alert still standing (not settled since: the dispatcher's rule) emailed. The same
 *     message received twice (one Message-ID) is reported apart, by mailRepeats (ADR 0019).
 * (c) checkRebuild: the live read models equal a fresh replay of the store up to the same
 *     checkpoint, into another Redis database, compared key by key and type by type.
 */
import Redis from 'ioredis';
import { foldStored, nextTimers, REQUEST_STREAM_PREFIX, streamIdFor, toDomainEvent } from '@send/domain';
import { isSettled } from '@send/notifications';
import { readAllToHead, type EventStore, type RecordedEvent } from '@send/event-store';
import { allProjections, keys, PROJECTED_STREAM_PREFIXES, PROJECTIONS_NAME, Projector, READ_MODEL_PREFIX } from '@send/read-models';

/** A command the driver saw a 2xx answer to, with the ids the answer gave. */
export type Accepted =
  | { kind: 'submission'; requestId: string }
  | { kind: 'attempt'; requestId: string; attemptId: string }
  | { kind: 'response'; requestId: string; responseId: string };

export async function readAll(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  await readAllToHead(store, (e) => void events.push(e));
  return events;
}

const count = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

// --- (a) ----------------------------------------------------------------------------------------

export function checkAccepted(events: RecordedEvent[], accepted: Accepted[]): string[] {
  const problems: string[] = [];
  const ids = new Map<string, number>();
  const submitted = new Map<string, number>();
  const attempts = new Map<string, number>();
  const responses = new Map<string, number>();
  for (const e of events) {
    count(ids, e.id);
    const data = e.data as Record<string, unknown>;
    if (e.type === 'ContactRequestSubmitted') count(submitted, e.streamId);
    if (e.type === 'ContactAttemptRecorded') count(attempts, `${e.streamId}/${data.attemptId}`);
    if (e.type === 'OfficerResponded') count(responses, `${e.streamId}/${data.responseId}`);
  }
  for (const [id, n] of ids) if (n > 1) problems.push(`event id ${id} is stored ${n} times in $all`);
  for (const [stream, n] of submitted) if (n > 1) problems.push(`${stream} was submitted ${n} times`);
  for (const [key, n] of [...attempts, ...responses]) if (n > 1) problems.push(`${key} is stored ${n} times`);
  for (const a of accepted) {
    const stream = streamIdFor(a.requestId);
    const [what, n] =
      a.kind === 'submission'
        ? [`submission ${a.requestId}`, submitted.get(stream) ?? 0]
        : a.kind === 'attempt'
          ? [`attempt ${a.attemptId} on ${a.requestId}`, attempts.get(`${stream}/${a.attemptId}`) ?? 0]
          : [`response ${a.responseId} on ${a.requestId}`, responses.get(`${stream}/${a.responseId}`) ?? 0];
    if (n !== 1) problems.push(`accepted ${what} (2xx) is stored ${n} times`);
  }
  return problems;
}

// --- (b) ----------------------------------------------------------------------------------------

export interface Mail {
  to: string[];
  raw: string;
}

export const messageIdOf = (raw: string): string | null => /^message-id:\s*<([^>]+)>/im.exec(raw)?.[1] ?? null;

/** Alerts that go to people by email: each must have been delivered (at least one recipient). */
const EMAILED_ALERTS = new Set(['EscalationRaised', 'EscalationAdvanced', 'EscalationRenotified']);

export function checkAlerts(
  events: RecordedEvent[],
  mails: Mail[],
  options: { now: Date; graceMs: number; mailGraceMs: number },
): string[] {
  const problems: string[] = [];
  const byStream = new Map<string, RecordedEvent[]>();
  for (const e of events) {
    if (!e.streamId.startsWith(REQUEST_STREAM_PREFIX)) continue;
    let list = byStream.get(e.streamId);
    if (!list) byStream.set(e.streamId, (list = []));
    list.push(e);
  }
  const dueBefore = options.now.getTime() - options.graceMs;
  for (const [stream, list] of byStream) {
    // What triggered each alert event: the same trigger twice is an alert raised twice.
    const triggers = new Map<string, number>();
    for (const e of list) {
      const trigger = triggerOf(e);
      if (trigger) count(triggers, trigger);
    }
    for (const [trigger, n] of triggers) if (n > 1) problems.push(`${stream}: ${trigger} recorded ${n} times`);
    // What the policy implies: every timer the state says is pending, and due, has fired.
    const state = foldStored(list);
    for (const timer of nextTimers(state)) {
      if (Date.parse(timer.at) < dueBefore) problems.push(`${stream}: timer ${timer.key} was due at ${timer.at} and has not fired`);
    }
  }

  // Delivered once (ADR 0019): one message (one Message-ID) per alert, level and recipient. The
  // same Message-ID again is a redelivery of that message (mailRepeats reports those); a second
  // Message-ID for the same alert, level and recipient is a second message, and fails.
  const delivered = new Set<string>();
  for (const mail of mails) {
    const id = messageIdOf(mail.raw);
    if (id === null) problems.push(`a mail to ${mail.to.join(', ')} has no Message-ID`);
    else delivered.add(id);
  }
  const byId = new Map(events.map((e) => [e.id, e]));
  const messagesPer = new Map<string, Set<string>>();
  for (const mail of mails) {
    const id = messageIdOf(mail.raw);
    if (id === null || !id.endsWith(ALERT_MESSAGE_ID_DOMAIN)) continue;
    const event = byId.get(id.split('|')[0]);
    if (!event) {
      problems.push(`mail <${id}> names no stored event`);
      continue;
    }
    const key = `${event.streamId}: ${triggerOf(event) ?? `${event.type} ${event.id}`} to ${[...mail.to].sort().join(', ')}`;
    let ids = messagesPer.get(key);
    if (!ids) messagesPer.set(key, (ids = new Set()));
    ids.add(id);
  }
  for (const [key, ids] of messagesPer)
    if (ids.size > 1) problems.push(`${key}: ${ids.size} different messages (${[...ids].map((i) => `<${i}>`).join(', ')})`);
  const eventsMailed = new Set([...delivered].map((id) => id.split('|')[0]));
  for (const [stream, list] of byStream) {
    const now = foldStored(list);
    for (const e of list) {
      if (!EMAILED_ALERTS.has(e.type)) continue;
      if (e.recordedAt.getTime() >= options.now.getTime() - options.mailGraceMs) continue; // may still be on its way
      // An alert settled since (acknowledged, climbed, resolved) is not sent once settled: the
      // dispatcher's own rule, so only alerts still standing must have been emailed.
      const trigger = toDomainEvent(e);
      if (eventsMailed.has(e.id) || !trigger || isSettled(trigger, now)) continue;
      problems.push(`${stream}: ${e.type} ${e.id} (still standing) was never emailed`);
    }
  }
  return problems;
}

/** Alert emails' Message-IDs end so (SmtpEmailChannel); families' end @send-family. */
const ALERT_MESSAGE_ID_DOMAIN = '@send-alerts';

/** What raised an alert event: the same trigger twice is the alert raised twice. */
function triggerOf(e: RecordedEvent): string | null {
  const d = e.data as Record<string, unknown>;
  if (e.type === 'EscalationRaised') return `EscalationRaised ${d.escalationId}`;
  if (e.type === 'EscalationAdvanced') return `EscalationAdvanced ${d.escalationId} to level ${d.toLevel}`;
  if (e.type === 'EscalationRenotified') return `EscalationRenotified ${d.escalationId} level ${d.level} #${d.renotification}`;
  if (e.type === 'SlaBreached') return `SlaBreached ${d.clock} due ${d.dueAt}`;
  return null;
}

/**
 * Messages the sink received more than once under one Message-ID: a delivery job run again after
 * the SMTP server had accepted its message and before the job could record so (ADR 0019). Reported
 * beside the checks, not as a failure: SMTP has no idempotency key, so no sender can rule it out;
 * the repeat carries the same Message-ID, by which mail systems and people recognise it.
 */
export function mailRepeats(mails: Mail[]): string[] {
  const seen = new Map<string, number>();
  for (const mail of mails) {
    const id = messageIdOf(mail.raw);
    if (id !== null) count(seen, id);
  }
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `mail <${id}> received ${n} times`);
}

// --- (c) ----------------------------------------------------------------------------------------

/**
 * Keys that are not read models, so not compared, each with why. Any key matching neither these nor
 * rm: fails the check: a new kind of key must be placed on one side or the other here.
 */
export const NOT_READ_MODELS: ReadonlyArray<{ prefix: string; what: string }> = [
  { prefix: 'bull:', what: 'BullMQ queues (timers, notifications, family messages) and their job ids' },
  { prefix: 'lease:', what: 'leases (projections, timer process manager) and the rebuild yield request' },
  { prefix: 'checkpoint:', what: 'subscription checkpoints (projections: compared as the replay bound instead)' },
  { prefix: 'read-models:version', what: 'the read models version marker' },
  { prefix: 'alerts:live:sent:', what: 'in-app alerts published, a mark per delivery id so each is published once (InAppChannel)' },
];

type Dump = Map<string, { type: string; value: unknown }>;

/** Every key matching `match` with its type and value (zsets with scores, sets sorted). */
export async function dumpKeys(redis: Redis, match: string): Promise<Dump> {
  const dump: Dump = new Map();
  let cursor = '0';
  const found: string[] = [];
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  // Two pipelined round trips (types, then values), so a snapshot is quick enough to be consistent.
  const all = [...new Set(found)].sort();
  const types = ((await redis.pipeline(all.map((key) => ['type', key])).exec()) ?? []).map(([, t]) => String(t));
  const reads = all.map((key, i): [string, ...string[]] => {
    switch (types[i]) {
      case 'string':
        return ['get', key];
      case 'hash':
        return ['hgetall', key];
      case 'zset':
        return ['zrange', key, '0', '-1', 'WITHSCORES'];
      case 'set':
        return ['smembers', key];
      case 'list':
        return ['lrange', key, '0', '-1'];
      default:
        return ['exists', key];
    }
  });
  const values = (await redis.pipeline(reads).exec()) ?? [];
  all.forEach((key, i) => {
    const type = types[i];
    if (type === 'none') return; // gone between SCAN and TYPE
    let value = values[i][1] as unknown;
    if (type === 'hash') value = sortedObject(value as Record<string, string>);
    else if (type === 'set') value = (value as string[]).sort();
    else if (!['string', 'zset', 'list'].includes(type)) value = `(${type}: not compared)`;
    dump.set(key, { type, value });
  });
  return dump;
}

const sortedObject = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Keys in `redis` that are neither read models nor on the NOT_READ_MODELS list. */
export async function unclassifiedKeys(redis: Redis): Promise<string[]> {
  const unknown: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of batch)
      if (!key.startsWith(READ_MODEL_PREFIX) && !NOT_READ_MODELS.some((n) => key.startsWith(n.prefix))) unknown.push(key);
  } while (cursor !== '0');
  return [...new Set(unknown)].sort();
}

export interface RebuildComparison {
  problems: string[];
  /** Read model keys compared, and the checkpoint both sides stand at. */
  keys: number;
  checkpoint: bigint | null;
}

/**
 * Snapshots the live read models at a checkpoint (the dump is kept only when the checkpoint did not
 * move while it was taken: the projector writes its changes and checkpoint in one MULTI), replays
 * the store up to that checkpoint into database `scratchDb` of the same server with every
 * projection, and compares the two key by key. Leaves `scratchDb` empty.
 */
export async function checkRebuild(store: EventStore, redisUrl: string, scratchDb = 1): Promise<RebuildComparison> {
  const live = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const scratch = new Redis(redisUrl, { db: scratchDb, maxRetriesPerRequest: 3 });
  try {
    const problems: string[] = [];
    for (const key of await unclassifiedKeys(live))
      problems.push(`unclassified key ${key}: neither a read model nor listed in NOT_READ_MODELS`);
    let snapshot: Dump | null = null;
    let checkpoint: bigint | null = null;
    for (let tries = 0; tries < 100 && !snapshot; tries++) {
      if (tries > 0) await new Promise((r) => setTimeout(r, 200)); // timers still firing: wait for a quiet moment
      const before = await live.get(keys.checkpoint(PROJECTIONS_NAME));
      const dump = await dumpKeys(live, `${READ_MODEL_PREFIX}*`);
      if ((await live.get(keys.checkpoint(PROJECTIONS_NAME))) === before) {
        snapshot = dump;
        checkpoint = before === null ? null : BigInt(before);
      }
    }
    if (!snapshot)
      return { problems: ['the projections checkpoint kept moving: no consistent snapshot in 100 tries'], keys: 0, checkpoint };

    await scratch.flushdb();
    const projector = new Projector(PROJECTIONS_NAME, scratch, allProjections());
    let batch: RecordedEvent[] = [];
    const flush = async () => {
      if (batch.length) await projector.handleBatch(batch.splice(0));
    };
    if (checkpoint !== null) {
      const bound = checkpoint;
      await readAllToHead(
        store,
        async (event) => {
          batch.push(event);
          if (batch.length >= 500) await flush();
        },
        { streamPrefixes: PROJECTED_STREAM_PREFIXES, stopAt: (event) => event.position > bound },
      );
      await flush();
    }
    const rebuilt = await dumpKeys(scratch, `${READ_MODEL_PREFIX}*`);
    await scratch.flushdb();

    for (const key of new Set([...snapshot.keys(), ...rebuilt.keys()])) {
      const a = snapshot.get(key);
      const b = rebuilt.get(key);
      if (!a) problems.push(`${key}: in the rebuild only`);
      else if (!b) problems.push(`${key}: live only (${a.type})`);
      else if (a.type !== b.type) problems.push(`${key}: live is a ${a.type}, the rebuild a ${b.type}`);
      else if (JSON.stringify(a.value) !== JSON.stringify(b.value))
        problems.push(`${key} (${a.type}) differs:\n    live:    ${clip(a.value)}\n    rebuilt: ${clip(b.value)}`);
    }
    return { problems, keys: snapshot.size, checkpoint };
  } finally {
    live.disconnect();
    scratch.disconnect();
  }
}

const clip = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 400 ? `${s.slice(0, 400)}...` : s;
};
