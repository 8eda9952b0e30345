import { dueInWords, type Policy } from '@send/sla';
import type { FamilyNotice } from './family-notice';

/** The officer as a family may know them: first name and role, never a surname. */
export interface OfficerForFamily {
  firstName: string;
  role: string;
}

export interface FamilyMessage {
  subject: string;
  /** Plain text, paragraphs separated by a blank line (email body, Notify ((body))). */
  body: string;
  /** The same news in one short text message. */
  sms: string;
}

/** The account's role in words a family understands (GOV.UK style: lower case, no jargon). */
export function roleInWords(role: string): string {
  switch (role) {
    case 'officer':
      return 'a SEND officer';
    case 'team_manager':
      return 'a SEND team manager';
    case 'service_manager':
      return 'the SEND service manager';
    case 'head_of_service':
      return 'the head of the SEND service';
    default:
      return 'a member of the SEND team';
  }
}

/** First name only: the first word of the account's name (never the surname). */
export function firstNameOf(name: string): string {
  return name.trim().split(/\s+/)[0] ?? '';
}

const who = (officer: OfficerForFamily | null): string =>
  officer && officer.firstName
    ? `${officer.firstName}, ${roleInWords(officer.role)},`
    : `${capitalise(roleInWords(officer?.role ?? 'officer'))}`;
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The words of one notice, GOV.UK style: short sentences, "we" and "you", the reference in every
 * message (so any call that still comes can be found at once), dates in words. Each message answers
 * the question the family would otherwise phone to ask. `now` is the event's time, so a redelivered
 * event is worded the same.
 */
export function wordFamilyMessage(
  notice: FamilyNotice,
  context: { policy: Policy; now: Date; officer?: OfficerForFamily | null },
): FamilyMessage {
  const ref = notice.reference;
  const due = notice.dueAt ? dueInWords(new Date(notice.dueAt), context.policy, context.now) : null;
  const officer = context.officer ?? null;
  const noNeedToCall = 'You do not need to contact us before then. If you do, quote your reference.';
  switch (notice.kind) {
    case 'received': {
      const owner = notice.officerId ? `${who(officer)} is looking after it.` : null;
      return {
        subject: `We have your request ${ref}`,
        body: [`We have your request. Your reference is ${ref}.`, owner, due ? `We will reply ${due}.` : null, noNeedToCall]
          .filter(Boolean)
          .join('\n\n'),
        sms: [`We have your SEND request ${ref}.`, owner, due ? `We will reply ${due}.` : null].filter(Boolean).join(' '),
      };
    }
    case 'picked_up': {
      const line = `${who(officer)} is now looking after your request ${ref}.`;
      const next = due ? `We will reply ${due}.` : null;
      return {
        subject: `Your request ${ref} is with ${officer?.firstName || 'a SEND officer'}`,
        body: [line, next, next ? noNeedToCall : null].filter(Boolean).join('\n\n'),
        sms: [line, next].filter(Boolean).join(' '),
      };
    }
    case 'late': {
      const promise = due ? `We promised to reply to your request ${ref} ${due}.` : `We have not replied to your request ${ref} in time.`;
      const told = 'We have not met our promise. A manager has been told and will make sure someone contacts you.';
      return {
        subject: `We have not replied to your request ${ref} in time`,
        body: [promise, told, 'You do not need to chase us. We are sorry for the wait.'].join('\n\n'),
        sms: `${promise} We have not met our promise. A manager has been told.`,
      };
    }
    case 'holding_reply': {
      const line = `We are looking into your request ${ref}. We will give you an update ${due ?? 'soon'}.`;
      return {
        subject: `We are looking into your request ${ref}`,
        body: [line, noNeedToCall].join('\n\n'),
        sms: line,
      };
    }
    case 'update_late': {
      const promise = due ? `We promised you an update on your request ${ref} ${due}.` : `We owe you an update on your request ${ref}.`;
      const told = 'We have not met our promise. A manager has been told and will make sure someone contacts you.';
      return {
        subject: `We have not updated you on your request ${ref} in time`,
        body: [promise, told, 'You do not need to chase us. We are sorry for the wait.'].join('\n\n'),
        sms: `${promise} We have not met our promise. A manager has been told.`,
      };
    }
    case 'resolved': {
      const line = `We have closed your request ${ref}.`;
      const again = 'If you still need help with it, contact us and quote your reference. We will open it again.';
      return { subject: `Your request ${ref} is closed`, body: [line, again].join('\n\n'), sms: `${line} ${again}` };
    }
    case 'reopened': {
      const line = `We have opened your request ${ref} again.`;
      const next = due ? `We will reply ${due}.` : null;
      return {
        subject: `Your request ${ref} is open again`,
        body: [line, next, next ? noNeedToCall : null].filter(Boolean).join('\n\n'),
        sms: [line, next].filter(Boolean).join(' '),
      };
    }
  }
}
