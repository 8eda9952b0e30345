import type Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { callDecider, callStreamId, foldCall, type CallCommand, type CallRecord } from '@send/domain';
import { DeciderCommandHandler, type SqliteEventStore } from '@send/event-store';
import { keys } from '../keys';
import { dumpKeys, readModelTestHooks } from '../testing/read-model-fixtures';
import { TelephonyRepository } from './telephony.repository';

// This file's own Redis database: the read-model keys are global.
const DB = 3;

let redis: Redis;
let store: SqliteEventStore;
let project: () => Promise<number>;
readModelTestHooks(DB, (w) => ({ redis, store, project } = w));

const NOW = new Date('2026-12-01T10:00:00Z');
const run = (callId: string, command: CallCommand) =>
  new DeciderCommandHandler({ store, decider: callDecider, streamIdFor: callStreamId }).handle(
    callId,
    command,
    { now: NOW },
    { metadata: { correlationId: uuid(), actor: { id: 'system:telephony', role: 'system' } } },
  );

const call = (callId: string, startedAt: string, from = '+447700900999', outcome: CallRecord['outcome'] = 'missed'): CallRecord => ({
  callId,
  from,
  to: '+441234567890',
  startedAt,
  outcome,
  durationSeconds: 0,
});
const unmatched = async (record: CallRecord) => {
  await run(record.callId, { type: 'ReceiveCall', call: record, e164: record.from.startsWith('+') ? record.from : null });
  await run(record.callId, { type: 'MarkCallUnmatched', callId: record.callId });
};

describe('telephony read model', () => {
  it('keeps each call as the domain folds it', async () => {
    await unmatched(call('c-1', '2026-12-01T09:00:00Z'));
    await project();
    expect(await new TelephonyRepository(redis).call('c-1')).toEqual(foldCall(await store.read(callStreamId('c-1'))));
  });

  it('lists unknown numbers with their calls, the most recent caller first, paged', async () => {
    await unmatched(call('c-1', '2026-12-01T09:00:00Z', '+447700900999'));
    await unmatched(call('c-2', '2026-12-01T09:30:00Z', '+447700900888'));
    await unmatched(call('c-3', '2026-12-01T09:45:00Z', '+447700900999', 'voicemail'));
    await unmatched(call('c-4', '2026-12-01T09:10:00Z', 'withheld'));
    // An answered call is not kept for triage, and neither is a call still being filed.
    await run('c-5', {
      type: 'ReceiveCall',
      call: call('c-5', '2026-12-01T09:50:00Z', '+447700900777', 'answered'),
      e164: '+447700900777',
    });
    await run('c-6', { type: 'ReceiveCall', call: call('c-6', '2026-12-01T09:55:00Z', '+447700900666'), e164: '+447700900666' });
    await project();
    const repo = new TelephonyRepository(redis);

    const first = await repo.pageUnmatched({ limit: 2 });
    expect(first.items.map((n) => n.number)).toEqual(['+447700900999', '+447700900888']);
    expect(first.items[0]).toEqual({
      number: '+447700900999',
      numberIsE164: true,
      lastCallAt: '2026-12-01T09:45:00Z',
      calls: [
        { callId: 'c-3', startedAt: '2026-12-01T09:45:00Z', outcome: 'voicemail', durationSeconds: 0, to: '+441234567890' },
        { callId: 'c-1', startedAt: '2026-12-01T09:00:00Z', outcome: 'missed', durationSeconds: 0, to: '+441234567890' },
      ],
    });
    const second = await repo.pageUnmatched({ limit: 2, after: first.next });
    expect(second.items.map((n) => [n.number, n.numberIsE164])).toEqual([['withheld', false]]);
    expect(second.next).toBeNull();
  });

  it('drops a call when it is linked, and the number with its last call', async () => {
    await unmatched(call('c-1', '2026-12-01T09:00:00Z'));
    await unmatched(call('c-2', '2026-12-01T09:30:00Z'));
    await project();
    const repo = new TelephonyRepository(redis);

    await run('c-2', { type: 'LinkCall', callId: 'c-2', caseRef: 'C-1001', by: 'officer-1' });
    await project();
    expect(await repo.unmatched('+447700900999')).toMatchObject({ lastCallAt: '2026-12-01T09:00:00Z', calls: [{ callId: 'c-1' }] });
    expect(await redis.zscore(keys.unmatchedNumbers(), '+447700900999')).toBe(String(Date.parse('2026-12-01T09:00:00Z')));

    await run('c-1', { type: 'LinkCall', callId: 'c-1', caseRef: 'C-1001', by: 'officer-1' });
    await run('c-1', {
      type: 'FileCall',
      callId: 'c-1',
      caseRef: 'C-1001',
      requestId: 'r-1',
      attemptId: 'a-1',
      filedAs: 'attempt',
      by: 'officer-1',
    });
    await project();
    expect(await repo.unmatched('+447700900999')).toBeNull();
    expect((await repo.pageUnmatched({ limit: 10 })).items).toEqual([]);
    expect(await dumpKeys(redis, 'rm:telephony:unmatched*')).toEqual({});
    expect((await repo.call('c-1'))?.filing).toMatchObject({ requestId: 'r-1', caseRef: 'C-1001' });
  });
});
