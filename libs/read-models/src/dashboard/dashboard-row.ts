import { requestFacts, type RequestRecord } from '../request-view/request-view';

/**
 * What the SLA dashboard needs of one request, and nothing else: a few hundred bytes where the
 * request record (the domain state and the view) is kilobytes. The projection keeps one per request
 * (rm:dashboard-row:<id>), so the live dashboard reads and parses only these; the as-of dashboard
 * makes the same rows from replayed records. A change of shape raises READ_MODEL_VERSION.
 */
export interface DashboardRow {
  submittedAt: string;
  /** When the contact arrived, when staff backdated it (a letter, a call); absent: submittedAt. Where its wait starts. */
  receivedAt?: string;
  teamId: string | null;
  assignee: { id: string; name: string | null } | null;
  category: string;
  requesterRole: string;
  /** How the request came in (`mp`: an MP's enquiry on a family's behalf). */
  channel: string;
  resolved: boolean;
  /** When it was resolved with no reply ever (absent otherwise): where its censored wait stops counting. */
  resolvedAt?: string;
  /** Resolved with no reply recorded: why (withdrawn, duplicate, answered_outside); absent otherwise. */
  withoutReply?: string;
  /** The current period's first response (null: not yet) and due dates: what "overdue" is measured on. */
  firstRespondedAt: string | null;
  due: { firstResponseAt: string; resolutionAt: string };
  /** Every breach with the officer and team that owned the request when its clock ran out. */
  breaches: Array<{ clock: string; officerId: string | null; teamId: string | null }>;
  /** Inbound attempts no response has answered yet. */
  unansweredAttempts: number;
  /** Inbound attempts ever recorded (every period, answered or not). */
  attempts: number;
  /** The first reply ever (holding or full; or the date a reply given outside the system was made) against the first due date: the SLA figure. */
  firstResponseAt: string | null;
  firstResponseDueAt: string;
  /**
   * Every escalation: its level now, whether it is unresolved, when it was resolved, and each level
   * it reached with when it got there and when it was acknowledged there.
   */
  escalations: Array<{
    level: number;
    open: boolean;
    resolvedAt?: string;
    /** Absent acknowledgedAt: never acknowledged at that level. */
    levels: Array<{ level: number; reachedAt: string; acknowledgedAt?: string }>;
  }>;
}

export function dashboardRowOf(record: RequestRecord): DashboardRow {
  const v = record.view;
  const s = record.state;
  const facts = requestFacts(record);
  // Fields absent when they say nothing (most requests): every live dashboard call parses every row.
  const row: DashboardRow = {
    submittedAt: v.submittedAt,
    teamId: v.teamId,
    assignee: v.assignee,
    category: v.category,
    requesterRole: v.requesterRole,
    channel: s.channel,
    resolved: v.status === 'resolved',
    firstRespondedAt: v.firstRespondedAt,
    due: v.due,
    breaches: s.breaches.map(({ clock, officerId, teamId }) => ({ clock, officerId: officerId ?? null, teamId: teamId ?? null })),
    unansweredAttempts: s.unansweredCount,
    attempts: s.attemptCount,
    firstResponseAt:
      facts.firstResponseAt ?? (s.resolvedWithoutReply?.reason === 'answered_outside' ? (s.resolvedWithoutReply.answeredAt ?? null) : null),
    firstResponseDueAt: facts.firstResponseDueAt,
    escalations: facts.escalations.map((e) => ({
      level: e.level,
      open: e.status !== 'resolved',
      ...(e.resolvedAt ? { resolvedAt: e.resolvedAt } : {}),
      levels: e.levels.map((l) =>
        l.acknowledgedAt
          ? { level: l.level, reachedAt: l.reachedAt, acknowledgedAt: l.acknowledgedAt }
          : { level: l.level, reachedAt: l.reachedAt },
      ),
    })),
  };
  if (s.receivedAt && s.receivedAt !== v.submittedAt) row.receivedAt = s.receivedAt;
  if (s.resolvedAt && row.firstResponseAt === null) row.resolvedAt = s.resolvedAt; // only a wait closed unanswered needs it
  if (s.resolvedWithoutReply) row.withoutReply = s.resolvedWithoutReply.reason;
  return row;
}
