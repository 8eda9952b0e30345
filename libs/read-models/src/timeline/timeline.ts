import type { RecordedEvent } from '@send/event-store';
import { isContactRequestEventType, upcast } from '@send/domain';
import { eventTime } from '../event-time';

/** One entry of GET /api/requests/:id/timeline (shared API.md). */
export interface TimelineEntry {
  type: string;
  at: string;
  actor: { role: string };
  data: Record<string, unknown>;
}

/**
 * Fields never shown on a timeline: the requester's contact details (name, email, phone, user id:
 * only `requesterRole` is kept), the users notified of an escalation, storage details.
 */
const HIDDEN = new Set(['schemaVersion', 'requester', 'userIds', 'passwordHash']);

/** The timeline entry for a stored request event: when it happened, who did it (by role), a safe subset of its data. */
export function toTimelineEntry(event: RecordedEvent): TimelineEntry {
  const data: Record<string, any> = isContactRequestEventType(event.type) ? upcast(event.type, event.data) : event.data;
  const shown: Record<string, unknown> = {};
  // for...in, not Object.entries: the same keys in the same order (plain JSON data), without an array per event.
  for (const key in data) if (!HIDDEN.has(key)) shown[key] = data[key];
  if (event.type === 'ContactRequestSubmitted') shown.requesterRole = data.requester?.role ?? 'other';
  return { type: event.type, at: eventTime({ data, recordedAt: event.recordedAt }), actor: { role: actorRole(event) }, data: shown };
}

/** Events appended by timers carry a system actor; anything without an actor is the system's doing. */
function actorRole(event: RecordedEvent): string {
  const actor = event.metadata?.actor;
  return actor && typeof actor.role === 'string' ? actor.role : 'system';
}
