/**
 * A second api process on the same SQLite file: records `count` unanswered attempts on the given
 * requests, round robin, `gapMs` apart, through a command handler of its own, and prints how many it
 * recorded. Args: path requestIds(comma separated) count gapMs [report].
 * With report `json` it keeps states as the api does (cacheSize), answers a ConcurrencyConflict as
 * the api's 409 (counted, not thrown), and prints `{ recorded, conflicts, attemptIds }`: the ids of
 * the attempts it recorded, for a test to find each in the stream.
 */
import { v4 as uuid } from 'uuid';
import { contactRequestDecider, DomainError, streamIdFor } from '@send/domain';
import { fastPolicy } from '@send/domain/testing/fixtures';
import { ConcurrencyConflict, DeciderCommandHandler, SqliteEventStore } from '@send/event-store';

async function main(): Promise<void> {
  const [path, ids, count = '1', gapMs = '0', report = 'count'] = process.argv.slice(2);
  const json = report === 'json';
  const store = new SqliteEventStore({ path });
  const requests = new DeciderCommandHandler({ store, decider: contactRequestDecider, streamIdFor, cacheSize: json ? 100 : 0 });
  const requestIds = ids.split(',');
  let recorded = 0;
  let conflicts = 0;
  const attemptIds: string[] = [];
  for (let i = 0; i < Number(count); i++) {
    const requestId = requestIds[i % requestIds.length];
    const command = { type: 'RecordAttempt' as const, requestId, attemptId: uuid(), channel: 'phone' as const, source: 'portal' as const };
    try {
      await requests.handle(requestId, command, { now: new Date(), policy: fastPolicy });
      recorded += 1;
      attemptIds.push(command.attemptId);
    } catch (error) {
      if (json && error instanceof ConcurrencyConflict) conflicts += 1;
      else if (!(error instanceof DomainError)) throw error; // e.g. a resolved request refuses calls
    }
    if (Number(gapMs) > 0) await new Promise((r) => setTimeout(r, Number(gapMs)));
  }
  process.stdout.write(json ? `${JSON.stringify({ recorded, conflicts, attemptIds })}\n` : `${recorded}\n`);
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
