/**
 * Words the pages show for the API's codes: categories, roles, timeline events. Pure, so the
 * pages and their tests read the same text. Staff are named by role and first name only
 * (DOMAIN.md: families see who is dealing with it, never a manager's name).
 */
import type { TimelineEntry } from '@send/read-models';
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
