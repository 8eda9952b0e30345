/*
 * `npm run rebuild-read-models`: drop and rebuild the Redis read models from the event store.
 * Runs without a build step: node -r ./libs/event-store/src/testing/register-ts.js apps/worker/src/rebuild/rebuild-read-models.ts
 * (the built worker does the same with `node dist/apps/worker/main.js rebuild-read-models`).
 */
import { runRebuildCli } from './rebuild-cli';

runRebuildCli(process.env).then((code) => process.exit(code));
