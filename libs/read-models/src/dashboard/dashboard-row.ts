import { requestFacts, type RequestRecord } from '../request-view/request-view';

/**
 * What the SLA dashboard needs of one request, and nothing else: a few hundred bytes where the
 * request record (the domain state and the view) is kilobytes. The projection keeps one per request
 * (rm:dashboard-row:<id>), so the live dashboard reads and parses only these; the as-of dashboard
 * makes the same rows from replayed records.
 */
export interface DashboardRow {
  submittedAt: string;
  teamId: string | null;
  assignee: { id: string; name: string | null } | null;
  category: string;
  requesterRole: string;
  resolved: boolean;
  /** The current period's first response (null: not yet) and due dates: what "overdue" is measured on. */
  firstRespondedAt: string | null;
  due: { firstResponseAt: string; resolutionAt: string };
  breached: boolean;
  /** Inbound attempts no response has answered yet. */
  unansweredAttempts: number;
  /** The first response ever against the first due date: the SLA figure. */
  firstResponseAt: string | null;
  firstResponseDueAt: string;
  escalations: Array<{ level: number; open: boolean }>;
}

export function dashboardRowOf(record: RequestRecord): DashboardRow {
  const v = record.view;
  const facts = requestFacts(record);
  return {
    submittedAt: v.submittedAt,
    teamId: v.teamId,
    assignee: v.assignee,
    category: v.category,
    requesterRole: v.requesterRole,
    resolved: v.status === 'resolved',
    firstRespondedAt: v.firstRespondedAt,
    due: v.due,
    breached: v.breaches.length > 0,
    unansweredAttempts: facts.attempts.filter((a) => a.answeredAt === null).length,
    firstResponseAt: facts.firstResponseAt,
    firstResponseDueAt: facts.firstResponseDueAt,
    escalations: facts.escalations.map((e) => ({ level: e.level, open: e.status !== 'resolved' })),
  };
}
