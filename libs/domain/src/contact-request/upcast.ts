/**
 * Upcasting: stored events are read through `upcast(type, data)`, which brings `data` from the
 * version it was written at (`schemaVersion`, absent = 0) to the current one, one step at a time.
 * Add a step here whenever an event's shape changes; never change a stored event.
 */
import { CONTACT_REQUEST_EVENT_TYPES, SCHEMA_VERSION, type ContactRequestEvent, type ContactRequestEventType } from './events';

type Data = Record<string, unknown>;
/** Step from version `from` to `from + 1`. */
type Step = (data: Data) => Data;

/** Per event type: steps indexed by the version they upgrade from. */
const steps: Partial<Record<ContactRequestEventType, Record<number, Step>>> = {
  ContactRequestSubmitted: {
    // v0 (the prototype): requester flattened into requesterRole/requesterName/requesterEmail/
    // requesterPhone, and no priority (every request was normal).
    0: (d) => {
      const { requesterRole, requesterName, requesterEmail, requesterPhone, ...rest } = d;
      const requester =
        (d['requester'] as Data | undefined) ??
        Object.fromEntries(
          Object.entries({
            role: requesterRole ?? 'other',
            name: requesterName ?? '',
            email: requesterEmail ?? '',
            phone: requesterPhone,
          }).filter(([, v]) => v !== undefined),
        );
      return { ...rest, requester, priority: d['priority'] ?? 'normal', schemaVersion: 1 };
    },
  },
};

/** Current schema version of each event type. */
export const currentVersion = (_type: string): number => SCHEMA_VERSION;

const versionOf = (data: Data): number => (typeof data['schemaVersion'] === 'number' ? data['schemaVersion'] : 0);

/**
 * Brings `data` of an event of `type` to the current version. Unknown types and current data pass
 * through unchanged. Throws if data claims a version newer than this code knows (a deploy-order bug
 * that must not be silently misread).
 */
export const upcast = (type: string, data: Data): Data => {
  const target = currentVersion(type);
  let version = versionOf(data);
  if (version > target) throw new RangeError(`${type} data has schemaVersion ${version}; this code knows up to ${target}`);
  let out = data;
  const forType = steps[type as ContactRequestEventType] ?? {};
  while (version < target) {
    const step = forType[version];
    out = step ? step(out) : { ...out, schemaVersion: version + 1 };
    version += 1;
  }
  return out;
};

export const isContactRequestEventType = (type: string): type is ContactRequestEventType =>
  (CONTACT_REQUEST_EVENT_TYPES as readonly string[]).includes(type);

/**
 * A stored `{ type, data }` as a current domain event (upcast), or null if the type is not a
 * ContactRequest event (e.g. a future event type this code does not know: skip it, as evolve would).
 */
export const toDomainEvent = (stored: StoredEvent): ContactRequestEvent | null => {
  if (!isContactRequestEventType(stored.type)) return null;
  let data = upcast(stored.type, (stored.data ?? {}) as Data);
  // Assignments were not dated before 2026-11-28: the envelope's recorded time is the best fact there is.
  if ((stored.type === 'RequestAssigned' || stored.type === 'RequestReassigned') && data['at'] === undefined && stored.recordedAt)
    data = { ...data, at: stored.recordedAt.toISOString() };
  return { type: stored.type, data } as ContactRequestEvent;
};

/** An event as a store hands it over: a type, data of any schema version, and when it was recorded. */
export interface StoredEvent {
  type: string;
  data: unknown;
  recordedAt?: Date;
}
