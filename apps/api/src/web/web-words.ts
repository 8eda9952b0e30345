/**
 * Words the pages show for the API's codes: categories, roles, timeline events. Pure, so the
 * pages and their tests read the same text. Staff are named by role and first name only
 * (DOMAIN.md: families see who is dealing with it, never a manager's name).
 */
import type { QueueEntry, TimelineEntry } from '@send/read-models';
import type { Policy } from '@send/sla';
import type { RequestView } from '@send/domain';

export const CATEGORY_CHOICES = [
  { value: 'ehc_assessment', text: 'EHC needs assessment', hint: 'Asking for an assessment, or about one under way' },
  { value: 'ehc_plan', text: 'EHC plan', hint: 'A draft or final plan, its content or the support in it' },
  { value: 'annual_review', text: 'Annual review', hint: "The yearly review of a child's plan" },
  { value: 'placement', text: 'School or setting', hint: 'A school place, a move or a named setting' },
  { value: 'transport', text: 'Travel to school', hint: 'Home to school transport' },
  { value: 'complaint', text: 'Complaint', hint: 'Something went wrong and you want it put right' },
  { value: 'general', text: 'Something else', hint: 'Any other question about the child’s SEND' },
] as const;

export const categoryName = (code: string): string => CATEGORY_CHOICES.find((c) => c.value === code)?.text ?? code;

const ROLE_NAMES: Record<string, string> = {
  parent: 'Parent or carer',
  school: 'School',
  professional: 'Professional',
  mp: 'MP',
  other: 'Someone else',
  officer: 'SEND officer',
  team_manager: 'SEND team manager',
  service_manager: 'SEND service manager',
  head_of_service: 'Head of SEND',
  admin: 'Administrator',
  dpo: 'Data protection officer',
  system: 'The service',
};
export const roleName = (role: string): string => ROLE_NAMES[role] ?? role;

/** "Sam" from "Sam Officer": the first name is all a family is shown of a member of staff. */
export const firstName = (name: string | null | undefined): string | null => name?.trim().split(/\s+/)[0] || null;

/** Who is dealing with it, as a family reads it. */
export function dealtWithBy(view: Pick<RequestView, 'assignee' | 'teamId'>): string {
  const first = firstName(view.assignee?.name);
  if (view.assignee) return first ? `${first}, SEND officer` : 'A SEND officer';
  return view.teamId ? 'The SEND team (not yet given to an officer)' : 'The SEND service (finding the right team)';
}

/** The role an open escalation has reached, from the policy's chain; null when there is none open. */
export function escalatedTo(view: Pick<RequestView, 'escalation'>, policy: Policy): string | null {
  const e = view.escalation;
  if (!e || e.status === 'resolved') return null;
  const role = policy.escalation.chain[e.level - 1]?.role;
  return role ? roleName(role) : `level ${e.level}`;
}

const STATUS: Record<string, { text: string; colour: string }> = {
  open: { text: 'Received', colour: 'govuk-tag--blue' },
  assigned: { text: 'Being dealt with', colour: 'govuk-tag--light-blue' },
  responded: { text: 'Replied', colour: 'govuk-tag--green' },
  resolved: { text: 'Closed', colour: 'govuk-tag--grey' },
};
export const statusTag = (status: string) => STATUS[status] ?? { text: status, colour: 'govuk-tag--grey' };

const CHANNELS: Record<string, string> = {
  portal: 'online',
  phone: 'by phone',
  email: 'by email',
  letter: 'by letter',
  in_person: 'in person',
  mp: 'through an MP',
  meeting: 'in a meeting',
};

/**
 * When a timeline entry happened, as the page dates it: a letter or call filed days after it came
 * shows when it reached the service (its receivedAt, from which its clocks run), not when it was
 * typed in; every other entry its own time.
 */
export function whenItHappened(entry: TimelineEntry): string {
  const receivedAt = entry.type === 'ContactRequestSubmitted' ? entry.data.receivedAt : undefined;
  return typeof receivedAt === 'string' ? receivedAt : entry.at;
}

/** One timeline entry as a heading and a line of text; null for entries a family need not read. */
export function timelineItem(entry: TimelineEntry): { label: string; text: string } | null {
  const d = entry.data as Record<string, any>;
  const by = roleName(entry.actor.role);
  switch (entry.type) {
    case 'ContactRequestSubmitted':
      return { label: 'Request sent', text: `${roleName(String(d.requesterRole ?? 'other'))} got in touch ${CHANNELS[d.channel] ?? ''}`.trim() };
    case 'RequestRouted':
      return d.teamId ? { label: 'Sent to the SEND team', text: 'Passed to the team for the child’s case' } : null;
    case 'ContactAttemptRecorded':
      return { label: 'Tried to get in touch again', text: `No answer ${CHANNELS[d.channel] ?? ''}`.trim() };
    case 'RequestAssigned':
    case 'RequestReassigned':
      return { label: 'Given to a SEND officer', text: 'A SEND officer is dealing with it' };
    case 'OfficerResponded':
      return {
        label: d.kind === 'holding' ? 'Holding reply' : 'Reply',
        text: `${by} replied ${CHANNELS[d.channel] ?? ''}${typeof d.summary === 'string' ? `: ${d.summary}` : ''}`,
      };
    case 'CallBackFailed':
      return { label: 'We tried to call you back', text: 'The call did not get through' };
    case 'RequestResolved':
      return { label: 'Closed', text: typeof d.outcome === 'string' ? d.outcome : 'The request was closed' };
    case 'RequestReopened':
      return { label: 'Reopened', text: typeof d.reason === 'string' ? d.reason : 'The request was reopened' };
    case 'EscalationRaised':
      return { label: 'Escalated', text: `Passed to the ${roleName(String(d.notifyRole))} because nobody had replied` };
    case 'EscalationAdvanced':
      return { label: 'Escalated further', text: `Passed to the ${roleName(String(d.notifyRole))}` };
    case 'EscalationAcknowledged':
      return { label: 'Escalation seen', text: `The ${roleName(entry.actor.role)} is making sure you get a reply` };
    case 'EscalationResolved':
      return { label: 'Escalation closed', text: 'You got a reply' };
    case 'SlaBreached':
      return { label: 'Reply late', text: 'We did not reply when we said we would' };
    case 'PersonalDataErased':
      return {
        label: 'Personal details erased',
        text: d.reason === 'retention' ? 'Kept for as long as the council keeps SEND correspondence, then erased' : 'Erased on request: names, contact details and messages can no longer be read',
      };
    default:
      return null;
  }
}

/** A policy duration in words: P3D is "3 working days", PT4H "4 working hours". */
export function durationInWords(iso: string): string {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(iso);
  if (!m) return iso;
  const unit = (n: string | undefined, word: string) => (n && Number(n) > 0 ? [`${Number(n)} working ${word}${Number(n) === 1 ? '' : 's'}`] : []);
  const parts = [...unit(m[1], 'day'), ...unit(m[2], 'hour'), ...unit(m[3], 'minute')];
  return parts.length ? parts.join(' and ') : iso;
}

/** MoJ's timeline formats dates with this filter name; GOV.UK style: "1 December 2026 at 2:05pm". */
export function govukDateTime(iso: string, timezone = 'Europe/London'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', hour12: true })
    .formatToParts(d)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  const time = `${parts.hour}${parts.minute === '00' ? '' : `:${parts.minute}`}${(parts.dayPeriod ?? '').toLowerCase()}`;
  return `${parts.day} ${parts.month} ${parts.year} at ${time}`;
}

/**
 * The deadline a request is working to, as its queue row shows it: the first reply until there is
 * one; after a holding reply, the update owed (or the resolution, if that comes first); otherwise
 * the resolution. (The queue orders by the first reply, then the resolution: queue-score.ts.)
 */
export function runningDue(
  due: RequestView['due'],
  replied: boolean,
  updateDueAt: string | null,
): { what: 'reply' | 'update' | 'close'; at: string } {
  if (!replied) return { what: 'reply', at: due.firstResponseAt };
  if (updateDueAt && Date.parse(updateDueAt) < Date.parse(due.resolutionAt)) return { what: 'update', at: updateDueAt };
  return { what: 'close', at: due.resolutionAt };
}

const DUE_VERBS = { reply: 'Reply', update: 'Update the family', close: 'Close' } as const;

/** What a request page and "Your requests" say in their "Reply due" cell: its words, and whether it is late. */
export interface ReplyDueWords {
  /** "By the end of Friday 13 November", or once past, "We said we would reply by the end of Friday 13 November". */
  text: string;
  /** The due time alone ("by the end of Friday 13 November"); null when nothing is owed. */
  by: string | null;
  /** Past due with nothing sent: drawn with a red "Late" tag beside the text. */
  late: boolean;
}

/**
 * The reply a family is owed, in the words of the "Reply due" cell: the first reply until there is
 * one, then the update promised by a holding reply. Once that time has passed it says so, in the
 * timeline's voice ("Reply late: we did not reply when we said we would"), rather than show a date
 * gone by as if still to come. Nothing owed: "Replied", or "Closed" for one closed without a reply.
 * `dueInWords` is @send/sla's, bound to the policy and now.
 */
export function replyDueWords(
  view: Pick<RequestView, 'status' | 'due' | 'firstRespondedAt' | 'updateDueAt'>,
  now: Date,
  dueInWords: (due: Date) => string,
): ReplyDueWords {
  const owed = view.status === 'resolved' ? null : !view.firstRespondedAt ? view.due.firstResponseAt : view.updateDueAt;
  if (!owed) return { text: view.firstRespondedAt ? 'Replied' : 'Closed', by: null, late: false };
  const by = dueInWords(new Date(owed));
  if (Date.parse(owed) >= now.getTime()) return { text: by.charAt(0).toUpperCase() + by.slice(1), by, late: false };
  return { text: `We said we would ${view.firstRespondedAt ? 'update you' : 'reply'} ${by}`, by, late: true };
}

/** A GOV.UK tag or an MoJ badge, as the templates draw them. */
export interface Flag {
  text: string;
  classes: string;
}

/** What a queue row shows about a request: its flags, most pressing first. */
export function queueFlags(
  entry: Pick<QueueEntry, 'escalation' | 'needsCover' | 'requesterFlaggedUrgent' | 'priority'>,
  overdue: boolean,
): Flag[] {
  const flags: Flag[] = [];
  if (entry.escalation && entry.escalation.status !== 'resolved') flags.push({ text: 'Escalated', classes: 'moj-badge moj-badge--red' });
  if (overdue) flags.push({ text: 'Overdue', classes: 'govuk-tag govuk-tag--red' });
  if (entry.priority === 'urgent') flags.push({ text: 'Urgent', classes: 'moj-badge moj-badge--purple' });
  else if (entry.requesterFlaggedUrgent) flags.push({ text: 'Flagged urgent', classes: 'govuk-tag govuk-tag--yellow' });
  if (entry.needsCover) flags.push({ text: 'Needs cover', classes: 'govuk-tag govuk-tag--orange' });
  return flags;
}

export interface QueueRowWords {
  id: string;
  reference: string;
  subject: string;
  category: string;
  due: string;
  overdue: boolean;
  tries: number;
  assignee: string | null;
  flags: Flag[];
}

/**
 * One row of a queue page: the queue's own entry (its order, needsCover as the queue sees it) and
 * the request's view when the read model has it (the subject and the update clock are not in the
 * slim entry). `dueInWords` is @send/sla's, bound to the policy and now.
 */
export function queueRow(
  entry: QueueEntry,
  view: RequestView | null,
  now: Date,
  dueInWords: (due: Date) => string,
): QueueRowWords {
  // Without the view (not projected yet), the entry's status says whether it had a reply.
  const due = view ? runningDue(view.due, view.firstRespondedAt !== null, view.updateDueAt) : runningDue(entry.due, entry.status === 'responded', null);
  const overdue = Date.parse(due.at) < now.getTime();
  return {
    id: entry.id,
    reference: entry.reference,
    subject: view?.subject ?? '',
    category: categoryName(entry.category),
    due: `${DUE_VERBS[due.what]} ${dueInWords(new Date(due.at))}`,
    overdue,
    tries: entry.unansweredAttempts,
    assignee: entry.assignee?.name ?? null,
    flags: queueFlags(entry, overdue),
  };
}

/**
 * One timeline entry as staff read it: everything a family reads, and what only staff need (triage,
 * priority, re-notifications, who took it, why it was closed without a reply). `names` maps officer
 * ids to their names (staff may see them).
 */
export function staffTimelineItem(entry: TimelineEntry, names: Record<string, string> = {}): { label: string; text: string } | null {
  const d = entry.data as Record<string, any>;
  const officer = (id: unknown) => (typeof id === 'string' && names[id]) || 'an officer';
  switch (entry.type) {
    case 'RequestRouted':
      return d.teamId
        ? { label: 'Routed', text: `To the ${d.teamId} team${d.caseRef ? `, case ${d.caseRef}` : ''}${d.needsCover ? ': the case officer is away, it needs cover' : ''}` }
        : { label: 'Sent to triage', text: TRIAGE_WORDS[d.rule] ?? 'No team could be found for it' };
    case 'RequestAssigned':
    case 'RequestReassigned':
      return { label: entry.type === 'RequestAssigned' ? 'Assigned' : 'Reassigned', text: `To ${officer(d.officerId)} (${d.teamId} team)` };
    case 'PriorityChanged':
      return { label: 'Priority changed', text: d.priority === 'urgent' ? 'Now urgent: the clocks run faster' : 'Now normal priority' };
    case 'RequestResolved':
      return {
        label: d.withoutReply ? 'Closed without a reply' : 'Closed',
        text: `${typeof d.outcome === 'string' ? d.outcome : ''}${d.withoutReply ? ` (${WITHOUT_REPLY_WORDS[d.withoutReply.reason] ?? d.withoutReply.reason})` : ''}`.trim(),
      };
    case 'EscalationRenotified':
      return { label: 'Escalation repeated', text: `The ${roleName(String(d.notifyRole))} was told again` };
    case 'CallBackFailed':
      return { label: 'Call-back failed', text: `${roleName(entry.actor.role)} called back and did not get through` };
    default:
      return timelineItem(entry);
  }
}

const TRIAGE_WORDS: Record<string, string> = {
  case_not_matched: 'The case it names is not one we could match to the sender',
  several_cases: 'No case named, and the sender is linked to several',
  no_case: 'No case named, and the sender is linked to none',
};

export const WITHOUT_REPLY_WORDS: Record<string, string> = {
  withdrawn: 'The family withdrew it',
  duplicate: 'It repeats another request',
  answered_outside: 'They were answered another way',
};

/** How an officer replied, as the response form offers it (the API's response channels). */
export const RESPONSE_CHANNEL_CHOICES = [
  { value: 'email', text: 'By email' },
  { value: 'phone', text: 'By phone' },
  { value: 'portal', text: 'Through this service' },
  { value: 'letter', text: 'By letter' },
  { value: 'in_person', text: 'In person' },
  { value: 'meeting', text: 'In a meeting' },
] as const;

/** What a form says for each API field it posts: when it is missing or not one of the choices, and when it is too long. */
export type FieldMessages = Record<string, { missing: string; tooLong?: string; max?: number }>;

/** The rules a problem's type names that a person can put right on the form, and the field each belongs to. */
const RULE_MESSAGES: Record<string, { field?: string; text: string }> = {
  'reply-needed': { field: 'withoutReply.reason', text: 'Select why you are closing it without a reply, or send a reply first' },
  'reopen-window-closed': { field: 'reason', text: 'It is too long since this request was closed to reopen it: get in touch again instead' },
  'request-not-resolved': { text: 'This request is open: it does not need reopening' },
  'request-closed': { text: 'This request is closed: reopen it first' },
  'not-an-officer': { field: 'officerId', text: 'Select an officer in a team' },
  'not-found': { field: 'caseRef', text: 'There is no open case with that reference' },
  'concurrency-conflict': { text: 'Someone else changed this request at the same time: check it and try again' },
  'idempotency-key-reused': { text: 'This form was already sent: check the request and try again' },
};

/**
 * A problem the API answers (400, 409, 422) as GOV.UK errors on the form: each field the problem
 * names gets the form's own words for it; a broken rule gets its words on the field it is about, or
 * the form's first field. `values` are what was typed (to tell "too long" from "missing").
 */
export function formErrors(
  problem: { type: string; detail?: string; errors?: Array<{ field: string; message: string }> },
  messages: FieldMessages,
  values: Record<string, string | undefined> = {},
): Array<{ field: string; text: string }> {
  const fields = Object.keys(messages);
  const first = fields[0] ?? 'form';
  const slug = problem.type.split('/').pop() ?? '';
  if (slug === 'invalid-input' || slug === 'invalid-command') {
    // Schema problems list their fields; the domain's invalid-command names one in its detail ("field: rule").
    const named = problem.errors?.length ? problem.errors.map((e) => e.field) : [String(problem.detail ?? '').split(':')[0]!];
    return named.map((field) => {
      const words = messages[field];
      const known = words ? field : first;
      const typed = (values[field] ?? '').trim();
      const tooLong = words?.tooLong && words.max !== undefined && typed.length > words.max;
      return { field: known, text: words ? (tooLong ? words.tooLong! : words.missing) : `Check the form: ${problem.detail ?? 'something is not right'}` };
    });
  }
  const rule = RULE_MESSAGES[slug];
  if (rule) return [{ field: rule.field && messages[rule.field] ? rule.field : first, text: rule.text }];
  return [{ field: first, text: problem.detail ?? 'Something is not right with this form' }];
}
