import type Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { caseDecider, caseStreamId, foldCase, type CaseCommand, type CaseContactInput } from '@send/domain';
import { DeciderCommandHandler, type SqliteEventStore } from '@send/event-store';
import { keys } from '../keys';
import { readModelTestHooks } from '../testing/read-model-fixtures';
import { CasesRepository } from './cases.repository';

// This file's own Redis database: the read-model keys are global.
const DB = 1;

let redis: Redis;
let store: SqliteEventStore;
let project: () => Promise<number>;
readModelTestHooks(DB, (w) => ({ redis, store, project } = w));

const NOW = new Date('2026-12-01T10:00:00Z');
const run = (command: CaseCommand) =>
  new DeciderCommandHandler({ store, decider: caseDecider, streamIdFor: caseStreamId }).handle(
    command.caseRef,
    command,
    { now: NOW },
    { metadata: { correlationId: uuid(), actor: { id: 'admin-1', role: 'admin' } } },
  );

const parent = { name: 'Pat Parent', relationship: 'mother', email: 'Parent@Example.org', phone: '+447700900101', userId: 'parent-1' };
const senco: CaseContactInput = { name: 'Sue Senco', relationship: 'SENCo', email: 'senco@example.org' };
const sync = (caseRef: string, contacts = [parent, senco], over: Record<string, string> = {}): CaseCommand => ({
  type: 'SyncCase',
  caseRef,
  childName: 'Sam',
  teamId: 'north',
  caseOfficerId: 'officer-1',
  contacts,
  ...over,
});

const refs = (cases: { caseRef: string }[]) => cases.map((c) => c.caseRef);

describe('cases read model', () => {
  it('keeps each case as the domain folds it, found by contact user, email and phone', async () => {
    await run(sync('C-1001'));
    await run(sync('C-1002', [senco], { childName: 'Jordan' }));
    await project();
    const cases = new CasesRepository(redis);

    const expected = foldCase(await store.read(caseStreamId('C-1001')));
    expect(await cases.get('C-1001')).toEqual(expected);
    expect(await cases.get('C-9999')).toBeNull();
    // By portal account, by email (any case), or both: each case once.
    expect(refs(await cases.casesOfUser({ id: 'parent-1', email: 'nobody@example.org' }))).toEqual(['C-1001']);
    expect(refs(await cases.casesOfUser({ id: 'senco-1', email: 'SENCO@example.org' }))).toEqual(['C-1001', 'C-1002']);
    expect(refs(await cases.casesOfUser({ id: 'parent-1', email: 'parent@example.org' }))).toEqual(['C-1001']);
    expect(refs(await cases.casesByPhone('+447700900101'))).toEqual(['C-1001']);
    expect(await cases.casesByPhone('+447700900999')).toEqual([]);
  });

  it('moves the indexes when a contact is unlinked or its details change', async () => {
    await run(sync('C-1001'));
    await project();
    await run(sync('C-1001', [{ ...parent, phone: '+447700900102', userId: 'parent-2' }]));
    await project();
    const cases = new CasesRepository(redis);

    expect(await cases.casesByPhone('+447700900101')).toEqual([]);
    expect(refs(await cases.casesByPhone('+447700900102'))).toEqual(['C-1001']);
    expect(await cases.casesOfUser({ id: 'parent-1', email: 'x@example.org' })).toEqual([]);
    expect(refs(await cases.casesOfUser({ id: 'parent-2', email: 'x@example.org' }))).toEqual(['C-1001']);
    expect(await cases.casesOfUser({ id: 'senco-1', email: 'senco@example.org' })).toEqual([]);
    // No index keeps a member it should not: the emptied sets are gone.
    expect(
      await redis.exists(keys.casesByEmail('senco@example.org'), keys.casesByUser('parent-1'), keys.casesByPhone('+447700900101')),
    ).toBe(0);
  });

  it('lists open cases only; a reopened case is listed again', async () => {
    await run(sync('C-1001'));
    await run({ type: 'CloseCase', caseRef: 'C-1001', reason: 'Moved out of area' });
    await project();
    const cases = new CasesRepository(redis);
    expect((await cases.get('C-1001'))!.status).toBe('closed');
    expect(await cases.casesOfUser({ id: 'parent-1', email: 'parent@example.org' })).toEqual([]);
    expect(await cases.casesByPhone('+447700900101')).toEqual([]);

    await run(sync('C-1001'));
    await project();
    expect(refs(await cases.casesByPhone('+447700900101'))).toEqual(['C-1001']);
  });

  it('is the same whether projected event by event or in one go', async () => {
    await run(sync('C-1001'));
    await project();
    await run(sync('C-1001', [senco], { teamId: 'south' }));
    await project();
    const stepwise = await new CasesRepository(redis).get('C-1001');
    const members = await redis.smembers(keys.casesByEmail('senco@example.org'));

    await redis.flushdb();
    await project();
    expect(await new CasesRepository(redis).get('C-1001')).toEqual(stepwise);
    expect(await redis.smembers(keys.casesByEmail('senco@example.org'))).toEqual(members);
    expect(stepwise).toMatchObject({ teamId: 'south', contacts: [{ email: 'senco@example.org' }] });
  });
});
