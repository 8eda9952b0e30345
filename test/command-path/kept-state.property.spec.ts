/**
 * The api keeps recently used requests' state in memory (DeciderCommandHandler's cacheSize, ADR
 * 0003). Property: whatever the commands, and while another process appends to the same requests,
 * every decision made on a kept state is the decision a cold read of the stream would make, and
 * every refusal is one a cold read would make too.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { v4 as uuid } from 'uuid';
import {
  contactRequestDecider,
  DomainError,
  foldStored,
  isSubmitted,
  streamIdFor,
  type ContactRequestCommand,
  type ContactRequestEvent,
  type State,
} from '@send/domain';
import { fastPolicy, submitRequest } from '@send/domain/testing/fixtures';
import { DeciderCommandHandler, SqliteEventStore } from '@send/event-store';

const KINDS = ['attempt', 'respond', 'assign', 'callback', 'resolve', 'reopen', 'acknowledge'] as const;
type Step = { request: number; kind: (typeof KINDS)[number] };

function commandFor(step: Step, requestId: string, state: State): ContactRequestCommand {
  switch (step.kind) {
    case 'attempt':
      return { type: 'RecordAttempt', requestId, attemptId: uuid(), channel: 'email', source: 'portal' };
    case 'respond':
      return { type: 'RecordResponse', requestId, responseId: uuid(), officerId: 'officer-1', channel: 'phone', summary: 'Called back' };
    case 'assign':
      return { type: 'AssignRequest', requestId, officerId: 'officer-1', teamId: 'north', by: 'manager-1' };
    case 'callback':
      return { type: 'RecordFailedCallBack', requestId, officerId: 'officer-1' };
    case 'resolve':
      return { type: 'ResolveRequest', requestId, by: 'officer-1', outcome: 'Answered', withoutReply: { reason: 'withdrawn' } };
    case 'reopen':
      return { type: 'ReopenRequest', requestId, by: 'officer-1', reason: 'Family called back' };
    case 'acknowledge': {
      const escalationId = isSubmitted(state) && state.escalation ? state.escalation.id : uuid();
      return { type: 'AcknowledgeEscalation', requestId, escalationId, by: 'manager-1' };
    }
  }
}

const plain = (events: Array<{ type: string; data: unknown }>) => events.map(({ type, data }) => ({ type, data }));

describe('a kept request state decides as a cold read would', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kept-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('over random commands, with another process appending to the same requests', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ request: fc.integer({ min: 0, max: 2 }), kind: fc.constantFrom(...KINDS) }), { minLength: 5, maxLength: 30 }),
        async (steps) => {
          const path = join(dir, `events-${run++}.db`);
          const store = new SqliteEventStore({ path });
          const kept = new DeciderCommandHandler({ store, decider: contactRequestDecider, streamIdFor, cacheSize: 100 });
          try {
            const ids = [uuid(), uuid(), uuid()];
            for (const requestId of ids)
              await kept.handle(requestId, submitRequest({ requestId }), { now: new Date(), policy: fastPolicy });
            // The other api process: attempts on the same requests while this one works.
            const other = promisify(execFile)(
              process.execPath,
              [
                '-r',
                join(__dirname, '../../libs/event-store/src/testing/register-ts.js'),
                join(__dirname, 'other-api-process.ts'),
                path,
                ids.join(','),
                '12',
                '3',
              ],
              { timeout: 20_000 },
            );

            for (const step of steps) {
              const requestId = ids[step.request];
              const command = commandFor(step, requestId, foldStored(await store.read(streamIdFor(requestId))));
              const ctx = { now: new Date(), policy: fastPolicy };
              let result;
              try {
                result = await kept.handle(requestId, command, ctx);
              } catch (error) {
                expect(error).toBeInstanceOf(DomainError);
                // Another process only records attempts, which never lift a refusal: a cold read refuses too.
                const cold = foldStored(await store.read(streamIdFor(requestId)));
                expect(() => contactRequestDecider.decide(command, cold, ctx)).toThrow((error as Error).constructor as new () => Error);
                continue;
              }
              const stream = await store.read(streamIdFor(requestId));
              if (result.events.length > 0) {
                const before = foldStored(stream.filter((e) => e.revision < result.events[0].revision));
                expect(plain(result.events)).toEqual(plain(contactRequestDecider.decide(command, before, ctx) as ContactRequestEvent[]));
              }
              expect(result.state).toEqual(foldStored(stream.filter((e) => e.revision <= result.nextRevision)));
            }
            await other;
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});
