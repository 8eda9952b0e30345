import { Inject, Injectable } from '@nestjs/common';
import {
  caseRefOf,
  callIdOf,
  dataSubjectOf,
  eraseRequestEventData,
  foldCall,
  foldCase,
  foldStored,
  foldUserAccount,
  isPersonalDataErased,
  isSubmitted,
  requestIdOf,
  USER_STREAM_PREFIX,
  type DataSubjectId,
} from '@send/domain';
import type { EventStore } from '@send/event-store';
import { Clock, EVENT_STORE } from '@send/platform';
import { toTimelineEntry } from '@send/read-models';
import type { ReadItem } from '../access-log/access-log.port';
import { AccessLog, requestRead } from '../access-log/access-log.service';
import type { AuthUser } from '../auth/roles';
import { notFound } from '../common/problem';
import { RequestAccess } from '../requests/request-access';
import type { SubjectExport } from './dto/data-subjects.dto';
import { SubjectStreamsFinder } from './subject-streams';

/**
 * The subject access export (issue 14): everything held about one person, read from the event
 * store (decrypted by the store layer) on the streams SubjectStreamsFinder finds, so it shows what
 * the events hold, not only what the read models kept. Nothing of anyone else: another contact on
 * a shared case is only "another contact", and a request is theirs only when they made it.
 * Each request, timeline and case read is recorded in the access log with context `export`.
 */
@Injectable()
export class SubjectExportService {
  constructor(
    private readonly finder: SubjectStreamsFinder,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly requests: RequestAccess,
    private readonly accessLog: AccessLog,
    private readonly clock: Clock,
  ) {}

  async export(subject: DataSubjectId, reader: AuthUser, via: 'api' | 'page'): Promise<SubjectExport> {
    const found = await this.finder.find(subject);
    const answer: SubjectExport = { subject, generatedAt: this.clock.now().toISOString(), account: null, cases: [], requests: [], calls: [] };
    const reads: ReadItem[] = [];

    for (const streamId of found.streams) {
      const events = await this.store.read(streamId);
      if (events.length === 0) continue;
      const requestId = requestIdOf(streamId);
      const caseRef = caseRefOf(streamId);
      const callId = callIdOf(streamId);
      if (requestId) {
        const state = foldStored(events);
        // Theirs only: a request found through a case they are on may be another contact's.
        if (!isSubmitted(state) || (dataSubjectOf(state.requester) !== subject && !found.keyed.includes(streamId))) continue;
        const view = await this.requests.viewOf(state);
        const { role, name, email, phone } = state.requester;
        // Once erased, earlier entries read as erased here too, whether or not the store still decrypts them.
        const erased = events.some(isPersonalDataErased);
        const timeline = events.map((e) => toTimelineEntry(erased ? { ...e, data: eraseRequestEventData(e.type, e.data) } : e));
        answer.requests.push({ request: view, requester: { role, name, email, ...(phone ? { phone } : {}) }, timeline });
        reads.push(requestRead('request', view), requestRead('timeline', view));
      } else if (caseRef) {
        const state = foldCase(events);
        if (!state) continue;
        const contacts = state.contacts.map((c) =>
          dataSubjectOf(c) === subject
            ? { who: 'you' as const, name: c.name, relationship: c.relationship, ...(c.email ? { email: c.email } : {}), ...(c.phone ? { phone: c.phone } : {}) }
            : { who: 'another contact' as const },
        );
        answer.cases.push({ caseRef: state.caseRef, childName: state.childName, status: state.status, teamId: state.teamId, contacts });
        reads.push({ what: 'case', id: state.caseRef, caseRef: state.caseRef, teamId: state.teamId });
      } else if (callId) {
        const state = foldCall(events);
        if (!state) continue;
        answer.calls.push({
          callId: state.callId,
          number: state.number,
          startedAt: state.call.startedAt,
          outcome: state.call.outcome,
          durationSeconds: state.call.durationSeconds,
          status: state.status,
          caseRef: state.filing?.caseRef ?? state.linkedTo?.caseRef ?? null,
          requestId: state.filing?.requestId ?? null,
        });
      } else if (streamId.startsWith(USER_STREAM_PREFIX)) {
        const account = foldUserAccount(events);
        // Never the password hash.
        if (account) answer.account = { id: account.userId, name: account.name, email: account.email, role: account.role, teamId: account.teamId };
      }
    }
    if (!answer.account && found.account) {
      const { id, name, email, role, teamId } = found.account;
      answer.account = { id, name, email, role, teamId };
    }
    if (!answer.account && answer.cases.length === 0 && answer.requests.length === 0 && answer.calls.length === 0)
      throw notFound(`Nothing is held about ${subject}.`);
    answer.requests.sort((a, b) => b.request.submittedAt.localeCompare(a.request.submittedAt));
    answer.calls.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    await this.accessLog.recordReads(reader, reads, { context: 'export', via });
    return answer;
  }
}
