/**
 * Read-your-writes over the read models: the worker projects a write a few ms after the command
 * that made it answered. Where the caller's next step reads a read model (a page after its post,
 * routing by availability, the session check), wait until it shows the write: asked every 25 ms,
 * for at most a second, after which the caller goes on (the read model shows it soon after; a
 * worker that is down must not hang the command). True when it was shown in time.
 */
export async function untilReadModelShows(shows: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < READ_YOUR_WRITES_TRIES; i++) {
    if (await shows()) return true;
    await new Promise((resolve) => setTimeout(resolve, READ_YOUR_WRITES_EVERY_MS));
  }
  return false;
}

const READ_YOUR_WRITES_EVERY_MS = 25;
const READ_YOUR_WRITES_TRIES = 40;
