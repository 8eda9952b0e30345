/*
 * `npm run rebuild-read-models`: drop and rebuild the Redis read models from the event store.
 * Runs without a build step: node -r ./libs/event-store/src/testing/register-ts.js scripts/rebuild-read-models.ts
 */
import { runRebuildCli } from '@send/read-models/rebuild/rebuild-cli';

runRebuildCli(process.env).then((code) => process.exit(code));
