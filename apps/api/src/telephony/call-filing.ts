import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  attemptOutcomeOf,
  callAttemptId,
  CallNotFileable,
  chooseFiling,
  RequestClosed,
  streamIdFor,
  type CaseContact,
  type CallState,
  type RequestView,
} from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { CasesRepository, RequestViewsRepository, type RequestRecord } from '@send/read-models';
import { systemActor } from '../auth/roles';
import { RequestCommands, type RequestCommandContext } from '../requests/request-commands';
import { SubmitRequestCommand } from '../requests/submit-request.command';
import type { SubmitRequestInput } from '../requests/dto/submit-request.dto';
import { CallCommands } from './call-commands';

export type FilingOutcome = { recorded: 'attempt' | 'request'; requestId: string; caseRef: string } | { recorded: 'unmatched' };

/** The telephony integration acts on its own authority (role 'system'): its events say so. */
export const TELEPHONY_ACTOR = systemActor('telephony');

/**
 * Files a call that is waiting to be filed as an unanswered phone attempt: on the caller's case
 * (matched by E.164 number) or on the case staff linked it to. Every step is idempotent under ids
 * derived from the callId (the attempt's id, the request commands' Idempotency-Key, and so the id of
 * a request opened for it), and CallFiled is appended last: a crash anywhere before it leaves the
 * call waiting, and the retry runs the same steps, each of which finds its first result.
 */
@Injectable()
export class CallFiling {
  constructor(
    private readonly calls: CallCommands,
    private readonly requests: RequestCommands,
    private readonly commandBus: CommandBus,
    private readonly views: RequestViewsRepository,
    private readonly cases: CasesRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** `by`: who filed it (the telephony system, or the staff member who linked the number). */
  async file(call: CallState, by: string, correlationId: string): Promise<FilingOutcome> {
    const outcome = attemptOutcomeOf(call.call.outcome);
    if (outcome === null) throw new CallNotFileable(call.callId, call.status);
    const callCtx = { actor: { id: TELEPHONY_ACTOR.id, role: TELEPHONY_ACTOR.role }, correlationId };

    const caseRefs = await this.casesFor(call);
    if (caseRefs.length === 0) {
      await this.calls.run(call.callId, { type: 'MarkCallUnmatched', callId: call.callId }, callCtx);
      return { recorded: 'unmatched' };
    }

    const attemptId = callAttemptId(call.callId);
    // One read of each case's requests serves both the choice among open ones and, failing that, a reopening.
    const onCases = (await Promise.all(caseRefs.map((ref) => this.views.allOnCase(ref)))).flat();
    const open = onCases.filter((r) => r.state.status !== 'resolved');
    const holding = await this.holding(open, attemptId);
    let choice = holding
      ? ({ kind: 'attempt', caseRef: holding.state.caseRef, requestId: holding.state.requestId } as const)
      : chooseFiling(
          caseRefs,
          open.map((r) => ({ requestId: r.state.requestId, caseRef: r.state.caseRef, activeAt: activeAt(r) })),
        );

    if (choice.kind === 'request') {
      // No open request: a request resolved lately is reopened by the family's call (the domain
      // decides whether it is within sla.reopenWithin; if not, the call opens a new one below).
      const resolved = onCases
        .filter((r) => r.state.status === 'resolved')
        .sort((a, b) => Date.parse(b.state.resolvedAt!) - Date.parse(a.state.resolvedAt!))[0];
      if (resolved) choice = { kind: 'attempt', caseRef: resolved.state.caseRef, requestId: resolved.state.requestId };
    }

    const ctx: RequestCommandContext = { actor: TELEPHONY_ACTOR, idempotencyKey: `telephony-call:${call.callId}`, correlationId };
    const attempt = (requestId: string) =>
      this.requests.run(
        requestId,
        { type: 'RecordAttempt', requestId, attemptId, channel: 'phone', outcome, at: call.call.startedAt, source: 'telephony' },
        ctx,
      );

    let requestId: string;
    if (choice.kind === 'attempt') {
      requestId = choice.requestId;
      try {
        await attempt(requestId);
      } catch (error) {
        // Resolved too long ago to reopen (or since the read model last saw it): the call opens a request instead.
        if (!(error instanceof RequestClosed)) throw error;
        choice = { kind: 'request', caseRef: choice.caseRef };
        requestId = await this.openRequest(choice.caseRef, call, ctx);
        await attempt(requestId);
      }
    } else {
      requestId = await this.openRequest(choice.caseRef, call, ctx);
      await attempt(requestId);
    }

    await this.calls.run(
      call.callId,
      { type: 'FileCall', callId: call.callId, caseRef: choice.caseRef, requestId, attemptId, filedAs: choice.kind, by },
      callCtx,
    );
    return { recorded: choice.kind, requestId, caseRef: choice.caseRef };
  }

  /**
   * A retry after a crash: the open request that already holds this call's attempt keeps it. Its
   * stream is the record (the request's state keeps counts, not each attempt: ADR 0023); the open
   * requests on the caller's cases are few, and a call is filed once.
   */
  private async holding(open: RequestRecord[], attemptId: string): Promise<RequestRecord | undefined> {
    for (const record of open) {
      const events = await this.store.read(streamIdFor(record.state.requestId));
      if (events.some((e) => e.type === 'ContactAttemptRecorded' && (e.data as { attemptId?: string }).attemptId === attemptId))
        return record;
    }
    return undefined;
  }

  /** A linked call goes to the case staff named; any other to the open cases with a contact on its number. */
  private async casesFor(call: CallState): Promise<string[]> {
    if (call.status === 'linked') return [call.linkedTo!.caseRef];
    if (!call.numberIsE164) return [];
    return (await this.cases.casesByPhone(call.number)).map((c) => c.caseRef);
  }

  /**
   * A request for the call (API.md: channel phone, category general, subject "Missed call", routed
   * by the case), submitted by the telephony system on the caller's behalf. The Idempotency-Key
   * makes its id a function of the callId, so a retry finds the request the first try opened.
   */
  private async openRequest(caseRef: string, call: CallState, ctx: RequestCommandContext): Promise<string> {
    const found = await this.cases.get(caseRef);
    const contact = found?.contacts.filter((c) => c.phone === call.number).sort((a, b) => a.contactId.localeCompare(b.contactId))[0];
    const input: SubmitRequestInput = {
      caseRef,
      category: 'general',
      subject: 'Missed call',
      message: callMessage(call),
      channel: 'phone',
      priority: 'normal',
      requester: requesterOf(contact, call.number),
      // The clocks run from the call, and the call (its first attempt) is not before the request.
      receivedAt: call.call.startedAt,
    };
    const view: RequestView = await this.commandBus.execute(
      new SubmitRequestCommand(input, ctx.actor, ctx.idempotencyKey, ctx.correlationId),
    );
    return view.id;
  }
}

/** Latest activity of an open request: its latest event or attempt (chooseFiling takes the most recent). */
const activeAt = (r: RequestRecord): number =>
  Math.max(Date.parse(r.state.updatedAt), r.state.lastAttemptAt ? Date.parse(r.state.lastAttemptAt) : 0);

/**
 * The case contact on the number is the requester; a SENCo or other school contact files as
 * school, anyone else as parent. A number staff linked to a case without it being a contact's is
 * an unnamed caller ('other'), so no contact is credited with a call they may not have made.
 */
export function requesterOf(contact: CaseContact | undefined, number: string): NonNullable<SubmitRequestInput['requester']> {
  if (!contact) return { role: 'other', name: `Caller on ${number}`, phone: number };
  return {
    role: /senco|school|teacher|head/i.test(contact.relationship) ? 'school' : 'parent',
    name: contact.name,
    ...(contact.email ? { email: contact.email } : {}),
    phone: number,
  };
}

const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** What the officer reads: when (London time) and from which number, and whether a voicemail was left. */
export function callMessage(call: CallState): string {
  const when = LONDON.format(new Date(call.call.startedAt));
  const what = call.call.outcome === 'voicemail' ? 'A voicemail was left' : 'A call was missed';
  return `${what} from ${call.number} on ${when} (recorded by the telephony system, call ${call.callId}).`;
}
