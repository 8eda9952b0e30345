import { caseRefOf, evolveCase, isErased, type CaseState } from '@send/domain';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';

/**
 * Cases: rm:case:<caseRef> (the domain's CaseState, folded with evolveCase so the read side cannot
 * disagree with the decider), and the sets that find a case from a contact: by portal userId, by
 * email (lower case) and by E.164 phone. Index entries follow the contacts, whatever the case's
 * status; the repository answers open cases only, so a reopened case is found again without rework.
 * Erased contacts (PersonalDataErased) leave the email and phone indexes: those keys name them.
 */
export class CasesProjection implements Projection {
  readonly name = 'cases';

  keysRead(event: RecordedEvent): string[] {
    const caseRef = caseRefOf(event.streamId);
    return caseRef === null ? [] : [keys.case(caseRef)];
  }

  project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> | void {
    const caseRef = caseRefOf(event.streamId);
    if (caseRef !== null) return this.apply(caseRef, event, reader, tx);
  }

  private async apply(caseRef: string, event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
    const before = await reader.getJson<CaseState>(keys.case(caseRef));
    const after = evolveCase(before, event);
    if (after === null || after === before) return;
    tx.setJson(keys.case(caseRef), after);
    for (const index of [byUser, byEmail, byPhone]) {
      const was = index(before);
      const now = index(after);
      for (const key of was) if (!now.has(key)) tx.srem(key, caseRef);
      for (const key of now) if (!was.has(key)) tx.sadd(key, caseRef);
    }
  }
}

const indexOf =
  (pick: (c: CaseState['contacts'][number]) => string | undefined, key: (value: string) => string) =>
  (state: CaseState | null): Set<string> =>
    new Set(
      (state?.contacts ?? [])
        .map(pick)
        .filter((v): v is string => !!v && !isErased(v))
        .map(key),
    );

const byUser = indexOf((c) => c.userId, keys.casesByUser);
const byEmail = indexOf((c) => c.email?.toLowerCase(), keys.casesByEmail);
const byPhone = indexOf((c) => c.phone, keys.casesByPhone);
