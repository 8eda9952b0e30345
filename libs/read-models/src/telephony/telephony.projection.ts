import { callIdOf, evolveCall, type CallEvent, type CallState } from '@send/domain';
import type { RecordedEvent } from '@send/event-store';
import { keys } from '../keys';
import type { Projection } from '../projector';
import type { ReadModelReader, ReadModelWrites } from '../read-through';
import type { UnmatchedCall, UnmatchedNumber } from './unmatched-number';

/**
 * Telephone calls: rm:telephony:call:<callId> (the domain's fold, so the read side cannot disagree
 * with the decider), and the unmatched list: a zset of numbers by their newest unmatched call, each
 * with a JSON entry of its calls. A call joins the list on CallUnmatched and leaves it when it is
 * linked or filed, so a number leaves the list with its last call. An erased call (PersonalDataErased)
 * leaves it too: its number, in the entry's key and value, was the caller's personal data.
 */
export class TelephonyProjection implements Projection {
  readonly name = 'telephony';

  keysRead(event: RecordedEvent): string[] {
    const callId = callIdOf(event.streamId);
    if (callId === null) return [];
    const number = (event.data as { number?: unknown }).number;
    return typeof number === 'string' ? [keys.telephonyCall(callId), keys.unmatchedNumber(number)] : [keys.telephonyCall(callId)];
  }

  project(event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> | void {
    const callId = callIdOf(event.streamId);
    if (callId !== null) return this.apply(callId, event, reader, tx);
  }

  private async apply(callId: string, event: RecordedEvent, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
    const before = await reader.getJson<CallState>(keys.telephonyCall(callId));
    const after = evolveCall(before, event);
    const type = (event as unknown as CallEvent).type;
    // Even when the call already reads erased (a rebuild from a store whose keys are gone, where it was listed under ERASED).
    if (type === 'PersonalDataErased' && before?.status === 'unmatched') await this.unlistCall(before, reader, tx);
    if (after === null || after === before) return;
    tx.setJson(keys.telephonyCall(callId), after);

    if (type === 'CallUnmatched') await this.listCall(after, reader, tx);
    else if (type !== 'PersonalDataErased' && before?.status === 'unmatched' && after.status !== 'unmatched')
      await this.unlistCall(after, reader, tx);
  }

  private async listCall(call: CallState, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
    const key = keys.unmatchedNumber(call.number);
    const entry = (await reader.getJson<UnmatchedNumber>(key)) ?? {
      number: call.number,
      numberIsE164: call.numberIsE164,
      lastCallAt: '',
      calls: [],
    };
    const calls = [...entry.calls.filter((c) => c.callId !== call.callId), unmatchedCall(call)].sort(newestFirst);
    this.write(tx, { ...entry, calls, lastCallAt: calls[0]!.startedAt });
  }

  private async unlistCall(call: CallState, reader: ReadModelReader, tx: ReadModelWrites): Promise<void> {
    const key = keys.unmatchedNumber(call.number);
    const entry = await reader.getJson<UnmatchedNumber>(key);
    if (!entry) return;
    const calls = entry.calls.filter((c) => c.callId !== call.callId);
    if (calls.length === 0) {
      tx.del(key);
      tx.zrem(keys.unmatchedNumbers(), call.number);
      return;
    }
    this.write(tx, { ...entry, calls, lastCallAt: calls[0]!.startedAt });
  }

  private write(tx: ReadModelWrites, entry: UnmatchedNumber): void {
    tx.setJson(keys.unmatchedNumber(entry.number), entry);
    tx.zadd(keys.unmatchedNumbers(), Date.parse(entry.lastCallAt), entry.number);
  }
}

const unmatchedCall = ({ call }: CallState): UnmatchedCall => ({
  callId: call.callId,
  startedAt: call.startedAt,
  outcome: call.outcome,
  durationSeconds: call.durationSeconds,
  to: call.to,
});

const newestFirst = (a: UnmatchedCall, b: UnmatchedCall): number =>
  Date.parse(b.startedAt) - Date.parse(a.startedAt) || a.callId.localeCompare(b.callId);
