import type { AlertSummary } from './alert';
import { categoryLabel, escapeHtml, reasonLabel, requesterLabel, roleLabel, times, ukTime } from './wording';

/** An alert as a person reads it (email, Notify personalisation). */
export interface RenderedAlert {
  subject: string;
  text: string;
  html: string;
  /** For GOV.UK Notify: a template with ((subject)) and ((body)) shows the same words. */
  personalisation: Record<string, string>;
}

/** An alert as a program reads it (webhook body, in-app live event). Same fields, same privacy rule. */
export interface AlertPayload {
  id: string;
  kind: AlertSummary['kind'];
  title: string;
  requestId: string;
  reference: string;
  category: string;
  priority: string;
  level: number | null;
  fromLevel?: number;
  escalationId?: string;
  reason: string;
  unansweredCount: number;
  submittedAt: string;
  firstUnansweredAt: string | null;
  at: string;
  ackDueAt?: string;
  dueAt?: string;
  /** Routing: who it is for, so a live stream can filter per user. */
  role: string;
  teamId: string | null;
  link: string;
}

export interface RenderOptions {
  /** Prefix for the request link (e.g. https://send.example.gov.uk); the bare path without it. */
  baseUrl?: string;
}

const absolute = (link: string, baseUrl?: string) => (baseUrl ? baseUrl.replace(/\/+$/, '') + link : link);

export function alertTitle(a: AlertSummary): string {
  const what =
    a.kind === 'sla_breached'
      ? a.clock === 'resolution'
        ? 'Resolution deadline missed'
        : 'First response deadline missed'
      : a.kind === 'escalation_advanced'
        ? `Escalated to level ${a.level}`
        : a.kind === 'escalation_renotified'
          ? `Still unanswered at level ${a.level} (reminder ${a.renotification ?? 1})`
          : `Escalation level ${a.level}`;
  return `${what}: ${a.reference} (${categoryLabel(a.category)})`;
}

/** The lines of the message; the same words in text and HTML. */
function lines(a: AlertSummary, link: string): string[] {
  const who = requesterLabel(a.requesterRole);
  const priority = a.priority === 'urgent' ? ', urgent' : '';
  const out: string[] = [];
  switch (a.kind) {
    case 'escalation_raised':
      out.push(
        `Request ${a.reference} (${categoryLabel(a.category)}${priority}) has been escalated to you as ${roleLabel(a.notifyRole)} (level ${a.level}).`,
      );
      break;
    case 'escalation_advanced':
      out.push(
        `Request ${a.reference} (${categoryLabel(a.category)}${priority}) has moved up from level ${a.fromLevel} to level ${a.level} and is now with you as ${roleLabel(a.notifyRole)}.`,
      );
      break;
    case 'escalation_renotified':
      out.push(
        `Request ${a.reference} (${categoryLabel(a.category)}${priority}) is still escalated to you as ${roleLabel(a.notifyRole)} (level ${a.level}, reminder ${a.renotification ?? 1}).`,
      );
      break;
    case 'sla_breached':
      out.push(
        `Request ${a.reference} (${categoryLabel(a.category)}${priority}) has missed its ${a.clock === 'resolution' ? 'resolution' : 'first response'} deadline.`,
      );
      break;
  }
  out.push(`Reason: ${reasonLabel(a.reason)}.`);
  out.push(
    a.unansweredCount > 0
      ? `${capitalise(who)} has tried to reach the service ${times(a.unansweredCount)} without an answer${a.firstUnansweredAt ? `, since ${ukTime(a.firstUnansweredAt)}` : ''}.`
      : `${capitalise(who)} has had no answer yet.`,
  );
  out.push(`Request submitted: ${ukTime(a.submittedAt)}.`);
  if (a.kind === 'sla_breached' && a.dueAt) out.push(`It was due by ${ukTime(a.dueAt)}.`);
  if (a.ackDueAt && a.kind !== 'sla_breached') out.push(`Please acknowledge by ${ukTime(a.ackDueAt)}.`);
  out.push(`Open the request: ${link}`);
  return out;
}

const FOOTER = 'This message leaves out personal details on purpose: sign in to the case system to see them.';
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function renderAlert(a: AlertSummary, options: RenderOptions = {}): RenderedAlert {
  const link = absolute(a.link, options.baseUrl);
  const subject = `[SEND] ${alertTitle(a)}`;
  const body = lines(a, link);
  const text = [...body, '', FOOTER].join('\n');
  const html = [
    ...body.slice(0, -1).map((l) => `<p>${escapeHtml(l)}</p>`),
    `<p><a href="${escapeHtml(link)}">Open request ${escapeHtml(a.reference)}</a></p>`,
    `<p><small>${escapeHtml(FOOTER)}</small></p>`,
  ].join('\n');
  return {
    subject,
    text,
    html,
    personalisation: {
      subject,
      body: text,
      reference: a.reference,
      category: categoryLabel(a.category),
      level: a.level === null ? '' : String(a.level),
      reason: reasonLabel(a.reason),
      unanswered_count: String(a.unansweredCount),
      since: a.firstUnansweredAt ? ukTime(a.firstUnansweredAt) : '',
      submitted_at: ukTime(a.submittedAt),
      link,
    },
  };
}

export function alertPayload(a: AlertSummary, options: RenderOptions = {}): AlertPayload {
  return {
    id: a.alertId,
    kind: a.kind,
    title: alertTitle(a),
    requestId: a.requestId,
    reference: a.reference,
    category: a.category,
    priority: a.priority,
    level: a.level,
    ...(a.fromLevel !== undefined ? { fromLevel: a.fromLevel } : {}),
    ...(a.escalationId !== undefined ? { escalationId: a.escalationId } : {}),
    reason: a.reason,
    unansweredCount: a.unansweredCount,
    submittedAt: a.submittedAt,
    firstUnansweredAt: a.firstUnansweredAt,
    at: a.at,
    ...(a.ackDueAt !== undefined ? { ackDueAt: a.ackDueAt } : {}),
    ...(a.dueAt !== undefined ? { dueAt: a.dueAt } : {}),
    role: a.notifyRole,
    teamId: a.teamId,
    link: absolute(a.link, options.baseUrl),
  };
}
