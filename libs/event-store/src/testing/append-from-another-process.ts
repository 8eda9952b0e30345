/**
 * A second process on the same SQLite file (the worker beside the api): appends `count` events to
 * `stream`, one per append, `gapMs` apart, printing each position. Args: path stream count gapMs.
 */
import { v4 as uuid } from 'uuid';
import { machineClockMs } from '../machine-clock';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';

async function main(): Promise<void> {
  const [path, stream, count = '1', gapMs = '0'] = process.argv.slice(2);
  const store = new SqliteEventStore({ path });
  for (let i = 0; i < Number(count); i++) {
    const { position } = await store.append(stream, [{ id: uuid(), type: 'FromChild', data: { i, sentAt: machineClockMs() } }], {
      expectedRevision: 'any',
    });
    process.stdout.write(`${position}\n`);
    if (Number(gapMs) > 0) await new Promise((r) => setTimeout(r, Number(gapMs)));
  }
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
