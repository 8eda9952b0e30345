/**
 * A second api process on the same SQLite file: records `count` unanswered attempts on the given
 * requests, round robin, `gapMs` apart, through a command handler of its own (no kept states), and
 * prints how many it recorded. Args: path requestIds(comma separated) count gapMs.
 */
import { v4 as uuid } from 'uuid';
import { contactRequestDecider, DomainError, streamIdFor } from '@send/domain';
import { fastPolicy } from '@send/domain/testing/fixtures';
import { DeciderCommandHandler, SqliteEventStore } from '@send/event-store';

async function main(): Promise<void> {
  const [path, ids, count = '1', gapMs = '0'] = process.argv.slice(2);
  const store = new SqliteEventStore({ path });
  const requests = new DeciderCommandHandler({ store, decider: contactRequestDecider, streamIdFor });
  const requestIds = ids.split(',');
  let recorded = 0;
  for (let i = 0; i < Number(count); i++) {
    const requestId = requestIds[i % requestIds.length];
    const command = { type: 'RecordAttempt' as const, requestId, attemptId: uuid(), channel: 'phone' as const, source: 'portal' as const };
    try {
      await requests.handle(requestId, command, { now: new Date(), policy: fastPolicy });
      recorded += 1;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error; // e.g. a resolved request refuses calls
    }
    if (Number(gapMs) > 0) await new Promise((r) => setTimeout(r, Number(gapMs)));
  }
  process.stdout.write(`${recorded}\n`);
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
