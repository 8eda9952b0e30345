import { InvalidCommand } from '../contact-request/errors';
import { deciderSpec } from '../testing/decider-spec';
import {
  callAttemptId,
  callDecider,
  callIdOf,
  CallNotFileable,
  CallNotFound,
  callStreamId,
  chooseFiling,
  foldCall,
  type CallCommand,
  type CallEvent,
  type CallFold,
  type CallRecord,
} from './call';

const NOW = new Date('2026-12-01T10:00:00Z');
const AT = NOW.toISOString();
const spec = deciderSpec<CallCommand, CallEvent, CallFold, { now: Date }>(callDecider, () => ({ now: NOW }));

const call = (over: Partial<CallRecord> = {}): CallRecord => ({
  callId: 'call-1',
  from: '07700 900101',
  to: '01234 567890',
  startedAt: '2026-12-01T09:58:00Z',
  outcome: 'missed',
  durationSeconds: 0,
  ...over,
});
const received = (over: Partial<CallRecord> = {}, number = '+447700900101'): CallEvent => ({
  type: 'CallReceived',
  data: { schemaVersion: 1, call: call(over), number, numberIsE164: number.startsWith('+'), at: AT },
});
const unmatched = (): CallEvent => ({
  type: 'CallUnmatched',
  data: { schemaVersion: 1, callId: 'call-1', number: '+447700900101', at: AT },
});
const linked = (caseRef = 'C-1001'): CallEvent => ({
  type: 'CallLinked',
  data: { schemaVersion: 1, callId: 'call-1', number: '+447700900101', caseRef, by: 'officer-1', at: AT },
});
const file = (over: Partial<Extract<CallCommand, { type: 'FileCall' }>> = {}): CallCommand => ({
  type: 'FileCall',
  callId: 'call-1',
  caseRef: 'C-1001',
  requestId: 'r-1',
  attemptId: 'a-1',
  filedAs: 'attempt',
  by: 'system:telephony',
  ...over,
});
const filed = (caseRef = 'C-1001'): CallEvent => ({
  type: 'CallFiled',
  data: {
    schemaVersion: 1,
    callId: 'call-1',
    caseRef,
    requestId: 'r-1',
    attemptId: 'a-1',
    filedAs: 'attempt',
    by: 'system:telephony',
    at: AT,
  },
});

describe('call stream names', () => {
  it('round-trips a callId through its stream id', () => {
    expect(callStreamId('abc-1')).toBe('telephony-call-abc-1');
    expect(callIdOf('telephony-call-abc-1')).toBe('abc-1');
    expect(callIdOf('case-C-1')).toBeNull();
  });
});

describe('the call decider', () => {
  it('keeps the raw record with the caller in E.164', () =>
    spec.given().when({ type: 'ReceiveCall', call: call(), e164: '+447700900101' }).then(received()));

  it('keeps the raw number when it is not a phone number', () =>
    spec
      .given()
      .when({ type: 'ReceiveCall', call: call({ from: ' withheld ' }), e164: null })
      .then(received({ from: ' withheld ' }, 'withheld')));

  it('records nothing for a callId it already has, whatever the body says', () =>
    spec
      .given(received())
      .when({ type: 'ReceiveCall', call: call({ outcome: 'voicemail' }), e164: '+447700900101' })
      .thenNothing());

  it('refuses a record that would be stored broken', () => {
    spec
      .given()
      .when({ type: 'ReceiveCall', call: call({ startedAt: 'yesterday' }), e164: null })
      .thenThrows(InvalidCommand);
    spec
      .given()
      .when({ type: 'ReceiveCall', call: call({ callId: '' }), e164: null })
      .thenThrows(InvalidCommand);
    spec
      .given()
      .when({ type: 'ReceiveCall', call: call({ durationSeconds: -1 }), e164: null })
      .thenThrows(InvalidCommand);
  });

  it('files an unanswered call once', () => {
    spec.given(received()).when(file()).then(filed());
    spec.given(received(), filed()).when(file()).thenNothing();
  });

  it('never files an answered call: it is not an unanswered attempt', () => {
    spec
      .given(received({ outcome: 'answered' }))
      .when(file())
      .thenThrows(CallNotFileable);
    spec
      .given(received({ outcome: 'answered' }))
      .when({ type: 'MarkCallUnmatched', callId: 'call-1' })
      .thenNothing();
  });

  it('keeps an unknown caller for triage; filing it needs a link first', () => {
    spec.given(received()).when({ type: 'MarkCallUnmatched', callId: 'call-1' }).then(unmatched());
    spec.given(received(), unmatched()).when({ type: 'MarkCallUnmatched', callId: 'call-1' }).thenNothing();
    spec.given(received(), unmatched()).when(file()).thenThrows(CallNotFileable);
  });

  it('links an unmatched call to a case, then files it there and only there', () => {
    spec.given(received(), unmatched()).when({ type: 'LinkCall', callId: 'call-1', caseRef: 'C-1001', by: 'officer-1' }).then(linked());
    spec
      .given(received(), unmatched(), linked())
      .when({ type: 'LinkCall', callId: 'call-1', caseRef: 'C-1001', by: 'officer-2' })
      .thenNothing();
    spec.given(received(), unmatched(), linked()).when(file()).then(filed());
    spec
      .given(received(), unmatched(), linked())
      .when(file({ caseRef: 'C-2001' }))
      .thenThrows(InvalidCommand);
    spec.given(received(), filed()).when({ type: 'LinkCall', callId: 'call-1', caseRef: 'C-2001', by: 'officer-1' }).thenNothing();
  });

  it('refuses commands on a call it never received', () =>
    spec.given().when({ type: 'MarkCallUnmatched', callId: 'nope' }).thenThrows(CallNotFound));

  it('folds what happened to the call', () => {
    expect(foldCall([received()])?.status).toBe('received');
    expect(foldCall([received({ outcome: 'answered' })])?.status).toBe('answered');
    expect(foldCall([received(), unmatched(), linked()])).toMatchObject({
      status: 'linked',
      linkedTo: { caseRef: 'C-1001', by: 'officer-1' },
    });
    expect(foldCall([received(), filed()])).toMatchObject({ status: 'filed', filing: { requestId: 'r-1', filedAs: 'attempt' } });
    // A second CallReceived (never appended, but a fold must not fail on it) changes nothing.
    expect(foldCall([received(), filed(), received({ outcome: 'voicemail' })])?.status).toBe('filed');
  });
});

describe('chooseFiling (a number on several cases)', () => {
  it('takes the most recently active open request across the cases', () =>
    expect(
      chooseFiling(
        ['C-2', 'C-1'],
        [
          { requestId: 'r-a', caseRef: 'C-1', activeAt: 100 },
          { requestId: 'r-b', caseRef: 'C-2', activeAt: 200 },
        ],
      ),
    ).toEqual({ kind: 'attempt', caseRef: 'C-2', requestId: 'r-b' }));

  it('breaks ties by caseRef, then requestId, so a retry chooses the same', () =>
    expect(
      chooseFiling(
        ['C-1', 'C-2'],
        [
          { requestId: 'r-z', caseRef: 'C-2', activeAt: 100 },
          { requestId: 'r-y', caseRef: 'C-1', activeAt: 100 },
          { requestId: 'r-x', caseRef: 'C-1', activeAt: 100 },
        ],
      ),
    ).toEqual({ kind: 'attempt', caseRef: 'C-1', requestId: 'r-x' }));

  it('opens a request on the first case by caseRef when none is open', () =>
    expect(chooseFiling(['C-2001', 'C-1001'], [])).toEqual({ kind: 'request', caseRef: 'C-1001' }));
});

describe('callAttemptId', () => {
  it('is the same uuid for the same call, and another for another call', () => {
    expect(callAttemptId('call-1')).toBe(callAttemptId('call-1'));
    expect(callAttemptId('call-1')).toMatch(/^[0-9a-f-]{36}$/);
    expect(callAttemptId('call-2')).not.toBe(callAttemptId('call-1'));
  });
});
