import type Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import {
  callDecider,
  callStreamId,
  caseDecider,
  caseStreamId,
  contactIndexesOf,
  ERASED,
  foldCase,
  personalDataErased,
  streamIdFor,
  userStreamId,
  type CallCommand,
  type CaseCommand,
  type CaseContact,
} from '@send/domain';
import { fastPolicy } from '@send/domain/testing/fixtures';
import { DeciderCommandHandler, readAllToHead, type RecordedEvent, type SqliteEventStore } from '@send/event-store';
import { allProjections } from '../all-projections';
import { CasesRepository } from '../cases/cases.repository';
import { SlaDashboardService } from '../dashboard/sla-dashboard.service';
import { keys, PROJECTIONS_NAME } from '../keys';
import { Projector } from '../projector';
import { RequestViewsRepository } from '../request-view/request-views.repository';
import { TelephonyRepository } from '../telephony/telephony.repository';
import { dumpEverything, registerUser, RequestDriver, readModelTestHooks } from '../testing/read-model-fixtures';
import { TimelineRepository } from '../timeline/timeline.repository';
import { UsersRepository } from '../users/users.repository';

// This file's own Redis database: the read-model keys are global.
const DB = 2;

let redis: Redis;
let store: SqliteEventStore;
let drive: RequestDriver;
let project: () => Promise<number>;
readModelTestHooks(DB, (w) => ({ redis, store, drive, project } = w));

// The family to be erased: every piece of their data carries a marker, so a search finds any copy.
const MARKER = 'Qzxmarker';
const FAMILY = {
  userId: 'parent-erased',
  name: `Zebedee ${MARKER}`,
  email: `zeb.${MARKER.toLowerCase()}@example.org`,
  phone: '+447700900555',
};
const CHILD = `Barnaby ${MARKER}`;
const CALLER = '+447700900556'; // the family's other phone: an unmatched call
// Another family, who must keep everything.
const OTHER = { userId: 'parent-kept', name: 'Keep Kettering', email: 'keep.kettering@example.org', phone: '+447700900777' };
const CASE_REF = 'C-ERASE-1';
const NOW = new Date('2026-03-02T10:00:00.000Z');

const runCase = (command: CaseCommand) =>
  new DeciderCommandHandler({ store, decider: caseDecider, streamIdFor: caseStreamId }).handle(
    command.caseRef,
    command,
    { now: NOW },
    { metadata: { correlationId: uuid(), actor: { id: 'admin-1', role: 'admin' } } },
  );
const runCall = (callId: string, command: CallCommand) =>
  new DeciderCommandHandler({ store, decider: callDecider, streamIdFor: callStreamId }).handle(
    callId,
    command,
    { now: NOW },
    { metadata: { correlationId: uuid(), actor: { id: 'system:telephony', role: 'system' } } },
  );

/** Two requests of the family (one answered, resolved and reopened; one escalated and waiting), one of another family. */
async function familyHistory(): Promise<{ answered: string; escalated: string; kept: string; callId: string }> {
  await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
  await registerUser(store, { id: 'manager-1', name: 'Mo Manager', role: 'team_manager', teamId: 'north' });
  await registerUser(store, { id: FAMILY.userId, name: FAMILY.name, email: FAMILY.email, role: 'parent' });
  await registerUser(store, { id: OTHER.userId, name: OTHER.name, email: OTHER.email, role: 'parent' });
  await runCase({
    type: 'SyncCase',
    caseRef: CASE_REF,
    childName: CHILD,
    teamId: 'north',
    caseOfficerId: 'officer-1',
    contacts: [
      { name: FAMILY.name, relationship: 'mother', email: FAMILY.email, phone: FAMILY.phone, userId: FAMILY.userId },
      { name: 'Sue Senco', relationship: 'SENCo', email: 'senco@example.org' },
      { name: OTHER.name, relationship: 'carer', email: OTHER.email, phone: OTHER.phone, userId: OTHER.userId },
    ],
  });
  const requester = { role: 'parent' as const, name: FAMILY.name, email: FAMILY.email, phone: FAMILY.phone, userId: FAMILY.userId };
  const [answered, escalated, kept] = [uuid(), uuid(), uuid()];
  await drive.at(0).submit(answered, { requester, caseRef: CASE_REF, teamId: 'north', subject: `Transport ${MARKER}`, message: `Bus for ${CHILD}` }, 1);
  await drive.at(5).assign(answered, 'officer-1');
  await drive.run(
    { type: 'RecordResponse', requestId: answered, responseId: uuid(), officerId: 'officer-1', channel: 'phone', summary: `Told ${MARKER} about the bus` },
    { id: 'officer-1', role: 'officer' },
  );
  await drive.at(20).run({ type: 'ResolveRequest', requestId: answered, by: 'officer-1', outcome: `Bus pass for ${CHILD}` }, { id: 'officer-1', role: 'officer' });
  await drive.at(30).run({ type: 'ReopenRequest', requestId: answered, by: FAMILY.userId, reason: `Still no bus, ${MARKER}` }, { id: FAMILY.userId, role: 'parent' });
  await drive.at(40).submit(escalated, { requester, caseRef: CASE_REF, teamId: 'north', subject: `School place ${MARKER}`, message: `Help ${MARKER}` }, 2);
  await drive.at(50).escalate(escalated);
  await drive.at(200).checkDeadline(escalated, 'first_response');
  const other = { role: 'parent' as const, name: OTHER.name, email: OTHER.email, phone: OTHER.phone, userId: OTHER.userId };
  await drive.at(60).submit(kept, { requester: other, caseRef: CASE_REF, teamId: 'north', subject: 'Kept subject', message: 'Kept message' }, 3);
  await drive.at(70).assign(kept, 'officer-1');
  const callId = 'call-erase-1';
  const record = { callId, from: CALLER, to: '+441234567890', startedAt: '2026-03-02T09:00:00Z', outcome: 'missed' as const, durationSeconds: 0 };
  await runCall(callId, { type: 'ReceiveCall', call: record, e164: CALLER });
  await runCall(callId, { type: 'MarkCallUnmatched', callId });
  return { answered, escalated, kept, callId };
}

/** What G3's erasure appends, after the keys are gone: one PersonalDataErased per stream that held the family's data. */
async function eraseFamily(streams: { answered: string; escalated: string; callId: string }): Promise<void> {
  const facts = { erasureId: 'erasure-1', reason: 'erasure' as const, by: 'manager-1', at: '2026-03-03T09:00:00.000Z' };
  const append = (stream: string, event: ReturnType<typeof personalDataErased>) =>
    store.append(stream, [{ id: uuid(), ...event, metadata: { actor: { id: 'manager-1', role: 'service_manager' } } }], { expectedRevision: 'any' });
  await append(streamIdFor(streams.answered), personalDataErased(facts));
  await append(streamIdFor(streams.escalated), personalDataErased(facts));
  await append(userStreamId(FAMILY.userId), personalDataErased(facts));
  await append(callStreamId(streams.callId), personalDataErased(facts));
  const caseState = foldCase(await store.read(caseStreamId(CASE_REF)))!;
  // The child's name is the case's own subject: erased with the family here, as a whole family's erasure would.
  await append(caseStreamId(CASE_REF), personalDataErased(facts, { contacts: contactIndexesOf(caseState.contacts, FAMILY.userId), childName: true }));
}

/** Where any of the erased family's data appears in Redis (keys or values). */
async function findFamily(): Promise<string[]> {
  const needles = [MARKER, MARKER.toLowerCase(), FAMILY.email, FAMILY.phone, CALLER, 'Zebedee', 'Barnaby'];
  return (await dumpEverything(redis)).filter(({ key, value }) => needles.some((n) => key.includes(n) || value.includes(n))).map(({ key }) => key);
}

async function everything(): Promise<Record<string, string>> {
  return Object.fromEntries((await dumpEverything(redis)).map(({ key, type, value }) => [key, `${type} ${value}`]));
}

/**
 * The events as the store hands them over once the family's keys are gone (G1's encryption layer:
 * a field whose key is missing reads ERASED), for a rebuild after the erasure. Which fields those
 * are is the encryption layer's list (shared design of issue 14).
 */
function shredded(events: RecordedEvent[]): RecordedEvent[] {
  const family = (c: { userId?: string; email?: string; phone?: string }) =>
    c.userId === FAMILY.userId || c.email === FAMILY.email || c.phone === FAMILY.phone;
  const e = (v: unknown) => (v ? ERASED : v);
  return events.map((event) => {
    const d = event.data as Record<string, any>;
    const requester = d.requester as Parameters<typeof family>[0] | undefined;
    const familyRequest = event.streamId.startsWith('contact-request-') && events.some(
      (x) => x.streamId === event.streamId && x.type === 'ContactRequestSubmitted' && family((x.data as any).requester),
    );
    let data: Record<string, any> = d;
    if (familyRequest && event.type === 'ContactRequestSubmitted')
      data = { ...d, subject: ERASED, message: ERASED, requester: { ...requester, name: ERASED, email: e(d.requester.email), phone: e(d.requester.phone) } };
    if (familyRequest && event.type === 'OfficerResponded') data = { ...d, summary: ERASED };
    if (familyRequest && event.type === 'RequestResolved') data = { ...d, outcome: ERASED };
    if (familyRequest && event.type === 'RequestReopened') data = { ...d, reason: ERASED };
    if (event.streamId === userStreamId(FAMILY.userId) && event.type === 'UserRegistered') data = { ...d, name: ERASED, email: ERASED };
    if (event.type === 'CaseOpened' || (event.type === 'CaseUpdated' && d.childName)) data = { ...d, childName: ERASED };
    if (event.type === 'CaseContactLinked' && family(d.contact as CaseContact))
      data = { ...d, contact: { ...d.contact, contactId: ERASED, name: ERASED, email: e(d.contact.email), phone: e(d.contact.phone) } };
    if (event.streamId.startsWith('telephony-call-') && event.type === 'CallReceived')
      data = { ...d, number: ERASED, call: { ...d.call, from: ERASED } };
    if (event.streamId.startsWith('telephony-call-') && (event.type === 'CallUnmatched' || event.type === 'CallLinked')) data = { ...d, number: ERASED };
    return data === d ? event : { ...event, data };
  });
}

async function allEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  await readAllToHead(store, (e) => void events.push(e));
  return events;
}

describe('PersonalDataErased in the read models', () => {
  it('leaves no key or value in Redis holding the family’s data; the other family, ids, counts and the dashboard stay', async () => {
    const streams = await familyHistory();
    await project();
    expect(await findFamily()).not.toEqual([]); // the search finds them before
    const now = new Date('2026-03-04T10:00:00.000Z');
    const dashboard = new SlaDashboardService({ store, redis, policy: fastPolicy, clock: () => now });
    const figuresBefore = await dashboard.live();
    const rowsBefore = Object.entries(await everything()).filter(([k]) => k.startsWith('rm:dashboard-row:') || k.startsWith('rm:alert'));
    const views = new RequestViewsRepository(redis);
    const viewBefore = (await views.get(streams.escalated))!.view;

    await eraseFamily(streams);
    await project();

    expect(await findFamily()).toEqual([]);
    // The dashboard, its rows and the alerts are as they were.
    expect(await dashboard.live()).toEqual(figuresBefore);
    expect(Object.entries(await everything()).filter(([k]) => k.startsWith('rm:dashboard-row:') || k.startsWith('rm:alert'))).toEqual(rowsBefore);
    // The request reads erased where the family's words were; everything else as before.
    const view = (await views.get(streams.escalated))!.view;
    expect(view).toEqual({ ...viewBefore, subject: ERASED });
    expect((await views.pageForRequester(FAMILY.userId, { limit: 10 })).items.map((r) => r.view.id).sort()).toEqual(
      [streams.answered, streams.escalated].sort(),
    );
    const timeline = await new TimelineRepository(redis).get(streams.answered);
    expect(timeline.map((t) => t.type)).toEqual([
      'ContactRequestSubmitted',
      'RequestAssigned',
      'OfficerResponded',
      'RequestResolved',
      'RequestReopened',
      'PersonalDataErased',
    ]);
    expect(timeline[0]!.data).toMatchObject({ subject: ERASED, message: ERASED, reference: 'SEND-2026-000001' });
    expect(timeline[2]!.data).toMatchObject({ summary: ERASED, officerId: 'officer-1' });
    expect(timeline[5]).toMatchObject({ actor: { role: 'service_manager' }, data: { reason: 'erasure', erasureId: 'erasure-1' } });
    // The account: erased, closed, out of the role index; other accounts as they were.
    const users = new UsersRepository(redis);
    expect(await users.get(FAMILY.userId)).toMatchObject({ name: ERASED, email: ERASED, disabled: true, erased: true });
    expect((await users.byRole('parent')).map((u) => u.id)).toEqual([OTHER.userId]);
    // The case: the mother and the child's name erased; the SENCo and the other family kept, still found by their email and phone.
    const cases = new CasesRepository(redis);
    const state = (await cases.get(CASE_REF))!;
    expect(state.childName).toBe(ERASED);
    expect(state.contacts.map((c) => c.name)).toEqual([ERASED, 'Sue Senco', OTHER.name]);
    expect(refs(await cases.casesByPhone(OTHER.phone))).toEqual([CASE_REF]);
    expect(refs(await cases.casesOfUser({ id: 'nobody', email: 'senco@example.org' }))).toEqual([CASE_REF]);
    expect(await cases.casesByPhone(FAMILY.phone)).toEqual([]);
    // The unmatched call left the list; the call keeps its times and status.
    const telephony = new TelephonyRepository(redis);
    expect((await telephony.pageUnmatched({ limit: 10 })).items).toEqual([]);
    expect(await telephony.call(streams.callId)).toMatchObject({ number: ERASED, status: 'unmatched', call: { from: ERASED, to: '+441234567890' } });
    // The other family's data is all there.
    const all = JSON.stringify(await everything());
    for (const kept of [OTHER.email, OTHER.name, 'Kept subject', 'senco@example.org']) expect(all).toContain(kept);
  });

  it('a rebuild gives the same keys: from the plain events and the erasures, one at a time or in one batch, and from the store as it reads once the keys are gone', async () => {
    const streams = await familyHistory();
    await project();
    await eraseFamily(streams);
    await project();
    const live = await everything();

    const events = await allEvents();
    const replay = async (batch: RecordedEvent[], oneBatch: boolean) => {
      await redis.flushdb();
      const projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
      if (oneBatch) await projector.handleBatch(batch);
      else for (const event of batch) await projector.handle(event);
      return everything();
    };
    expect(await replay(events, false)).toEqual(live);
    expect(await replay(events, true)).toEqual(live);
    const fromShredded = await replay(shredded(events), true);
    expect(fromShredded).toEqual(live);
    expect(await findFamily()).toEqual([]);
  });

  it('a member of staff erased: their name leaves the requests assigned to them (view, queue row, dashboard row); figures stay', async () => {
    await registerUser(store, { id: 'officer-2', name: `Ossian ${MARKER}`, role: 'officer', teamId: 'north', email: `ossian.${MARKER.toLowerCase()}@example.org` });
    const [assigned, answered] = [uuid(), uuid()];
    await drive.at(0).submit(assigned, { teamId: 'north' }, 1);
    await drive.at(5).assign(assigned, 'officer-2');
    await drive.at(6).submit(answered, { teamId: 'north' }, 2);
    await drive.at(7).assign(answered, 'officer-2');
    await drive.at(8).respond(answered, 'officer-2');
    await project();
    const now = new Date('2026-03-04T10:00:00.000Z');
    const dashboard = new SlaDashboardService({ store, redis, policy: fastPolicy, clock: () => now });
    const before = await dashboard.live();
    expect(await findFamily()).not.toEqual([]);

    const facts = { erasureId: 'erasure-2', reason: 'erasure' as const, by: 'head-1', at: '2026-03-03T09:00:00.000Z' };
    await store.append(userStreamId('officer-2'), [{ id: uuid(), ...personalDataErased(facts) }], { expectedRevision: 'any' });
    await project();

    expect(await findFamily()).toEqual([]);
    expect((await new RequestViewsRepository(redis).get(assigned))!.view.assignee).toEqual({ id: 'officer-2', name: ERASED });
    const after = await dashboard.live();
    // The same figures; the officer's row names them ERASED.
    const unnamed = (d: typeof before) => ({ ...d, byOfficer: d.byOfficer.map((r) => ({ ...r, name: null })) });
    expect(unnamed(after)).toEqual(unnamed(before));
    expect(after.byOfficer.find((r) => r.officerId === 'officer-2')?.name).toBe(ERASED);
    // A rebuild (as the store reads once their key is gone: their registration's name and email ERASED) ends the same.
    const live = await everything();
    const events = (await allEvents()).map((e) =>
      e.streamId === userStreamId('officer-2') && e.type === 'UserRegistered' ? { ...e, data: { ...(e.data as object), name: ERASED, email: ERASED } } : e,
    );
    await redis.flushdb();
    await new Projector(PROJECTIONS_NAME, redis, allProjections()).handleBatch(events);
    expect(await everything()).toEqual(live);
  });

  it('an erasure in the same batch as the events it erases leaves nothing behind either', async () => {
    const streams = await familyHistory();
    await eraseFamily(streams);
    const projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
    await projector.handleBatch(await allEvents());
    expect(await findFamily()).toEqual([]);
    expect(await redis.exists(keys.timeline(streams.answered))).toBe(1);
  });
});

const refs = (cases: { caseRef: string }[]) => cases.map((c) => c.caseRef);
