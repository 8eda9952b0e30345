import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { v5 as uuidv5 } from 'uuid';
import {
  caseRefOf,
  dataSubjectOf,
  foldCase,
  foldStored,
  isSubmitted,
  requestIdOf,
  erasureEventId,
  erasureIdFor,
  erasureStreamId,
  personalDataErasedFor,
  type DataSubjectErased,
  type DataSubjectId,
  type PersonalDataErased,
} from '@send/domain';
import { WrongExpectedRevision, type DataKeyStore, type EventStore } from '@send/event-store';
import { APP_CONFIG, Clock, DATA_KEYS, EVENT_STORE, type AppConfig } from '@send/platform';
import type { AuthUser } from '../auth/roles';
import { notFound, problem, ProblemException } from '../common/problem';
import { CaseCommands } from '../cases/case-commands';
import { RequestCommands } from '../requests/request-commands';
import type { EraseBody, ErasureAnswer } from './dto/data-subjects.dto';
import { SubjectStreamsFinder } from './subject-streams';

/** Fixed forever: the id of each erasure's record event. */
const RECORD_NAMESPACE = '2c8e5d47-91a3-4f06-b7d2-5e4a1c3b8f61';
/** A case stream may move between reading it and marking it (a contact linked meanwhile): read and decide again. */
const MAX_TRIES = 3;

export interface ErasureContext {
  actor: AuthUser;
  correlationId: string;
  idempotencyKey?: string;
}

/**
 * Erasure of one data subject (issue 14, ADR 0017): refused while a request of theirs is open
 * unless forced; then a PersonalDataErased in every stream holding their data (a case's names their
 * contacts by index), THEN their keys deleted (`DataKeyStore.eraseSubject`), the api's kept command
 * states of those streams dropped, and the erasure recorded with no personal data in
 * `data-erasure-<keyed hash of the subject>`. Marking first means a crash between the two steps
 * leaves the data readable but marked (the retry deletes the keys), never keys gone unmarked.
 * A retry (same Idempotency-Key, or nothing of theirs left to erase) answers the first erasure.
 */
@Injectable()
export class SubjectErasureService {
  private readonly logger = new Logger('SubjectErasure');

  constructor(
    private readonly finder: SubjectStreamsFinder,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly requestCommands: RequestCommands,
    private readonly caseCommands: CaseCommands,
    @Optional() @Inject(DATA_KEYS) private readonly dataKeys: DataKeyStore | null,
  ) {}

  /** A keyed hash of the subject id: finds this person's earlier erasures without naming them (a bare hash of a phone number is easily reversed). */
  subjectHash(subject: DataSubjectId): string {
    return this.keyedHash(`data-subject:${subject}`);
  }

  private keyedHash(text: string): string {
    return createHmac('sha256', this.config.JWT_SECRET).update(text).digest('hex').slice(0, 40);
  }

  async erase(subject: DataSubjectId, body: EraseBody, ctx: ErasureContext): Promise<ErasureAnswer> {
    const dataKeys = this.dataKeys;
    if (!dataKeys)
      throw new ProblemException(problem(503, 'data-keys-unavailable', 'The data key store is not configured: nothing can be erased.'));
    const found = await this.finder.find(subject);
    const hash = this.subjectHash(subject);
    const recordStream = erasureStreamId(hash);
    const earlier = (await this.store.read(recordStream)).map((e) => e.data as DataSubjectErased['data']);

    let erasureId: string;
    if (ctx.idempotencyKey) {
      erasureId = erasureIdFor(hash, `key:${ctx.actor.id}:${ctx.idempotencyKey}`);
      const done = earlier.find((e) => e.erasureId === erasureId);
      if (done) return { erasureId, streams: done.streamHashes.length };
    } else {
      // Nothing keyed to them any more and nothing found that the last erasure did not mark: a retry.
      const last = earlier[earlier.length - 1];
      if (last && found.keyed.length === 0 && found.streams.every((s) => last.streamHashes.includes(this.keyedHash(`stream:${s}`))))
        return { erasureId: last.erasureId, streams: last.streamHashes.length };
      erasureId = erasureIdFor(hash, `n:${earlier.length}`);
    }
    if (found.streams.length === 0) throw notFound(`Nothing is held about ${subject}.`);

    const open = await this.openRequestsOf(subject, found.streams, found.keyed);
    if (open.length > 0 && !body.force)
      throw new ProblemException(
        problem(
          422,
          'data-subject-has-open-requests',
          `${open.length} request(s) of theirs are still open: resolve them first, or erase with force: true and a reason.`,
          { openRequests: open },
        ),
      );

    const at = this.clock.now().toISOString();
    const by = { erasureId, reason: 'erasure' as const, by: ctx.actor.id, at };
    const marked: string[] = [];
    for (const streamId of found.streams) {
      if (await this.mark(streamId, subject, by, ctx)) marked.push(streamId);
    }
    // Their key ids, recorded below: a replay after a restore deletes each again, including one in a
    // stream no mark names (a case they were unlinked from before the erasure).
    const keyIds = await dataKeys.keyIdsOf(subject);
    await dataKeys.eraseSubject(subject);
    // A stream other than a case's holds one person's data, whatever subject id its keys were made
    // under (a call from their number is `contact:<phone>` though they have an account): all of it goes.
    for (const streamId of marked) if (!caseRefOf(streamId)) await dataKeys.eraseScope(streamId);
    for (const streamId of marked) {
      const requestId = requestIdOf(streamId);
      const caseRef = caseRefOf(streamId);
      if (requestId) this.requestCommands.forget(requestId);
      if (caseRef) this.caseCommands.forget(caseRef);
    }
    const record: DataSubjectErased = {
      type: 'DataSubjectErased',
      data: {
        schemaVersion: 1,
        erasureId,
        subjectHash: hash,
        reason: body.reason,
        forced: open.length > 0,
        streamHashes: marked.map((s) => this.keyedHash(`stream:${s}`)),
        keyIds,
        by: ctx.actor.id,
        at,
      },
    };
    await this.store.append(
      recordStream,
      [{ id: uuidv5(erasureId, RECORD_NAMESPACE), type: record.type, data: record.data, metadata: this.metadata(ctx) }],
      {
        expectedRevision: 'any',
      },
    );
    this.logger.log(`erasure ${erasureId}: ${marked.length} streams marked, keys deleted${open.length ? ' (forced while open)' : ''}`);
    return { erasureId, streams: marked.length };
  }

  /** The subject's own requests (not another contact's on a shared case) that are not resolved. */
  private async openRequestsOf(subject: DataSubjectId, streams: string[], keyed: string[]): Promise<string[]> {
    const open: string[] = [];
    for (const streamId of streams) {
      const requestId = requestIdOf(streamId);
      if (!requestId) continue;
      const state = foldStored(await this.store.read(streamId));
      if (!isSubmitted(state) || state.status === 'resolved') continue;
      if (keyed.includes(streamId) || dataSubjectOf(state.requester) === subject) open.push(requestId);
    }
    return open;
  }

  /** Appends the stream's PersonalDataErased (unless this erasure already did); false when the stream holds nothing of theirs. */
  private async mark(
    streamId: string,
    subject: DataSubjectId,
    by: { erasureId: string; reason: 'erasure'; by: string; at: string },
    ctx: ErasureContext,
  ): Promise<boolean> {
    const eventId = erasureEventId(by.erasureId, streamId);
    for (let attempt = 1; ; attempt++) {
      const events = await this.store.read(streamId);
      if (events.length === 0) return false;
      if (events.some((e) => e.id === eventId)) return true;
      const event: PersonalDataErased | null = caseRefOf(streamId)
        ? personalDataErasedFor(subject, { kind: 'case', state: foldCase(events) }, by)
        : personalDataErasedFor(subject, { kind: 'whole' }, by);
      if (!event) return false;
      try {
        await this.store.append(streamId, [{ id: eventId, type: event.type, data: event.data, metadata: this.metadata(ctx) }], {
          expectedRevision: events[events.length - 1].revision,
        });
        return true;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision) || attempt >= MAX_TRIES) throw error;
      }
    }
  }

  private metadata(ctx: ErasureContext) {
    return { correlationId: ctx.correlationId, causationId: ctx.correlationId, actor: { id: ctx.actor.id, role: ctx.actor.role } };
  }
}
