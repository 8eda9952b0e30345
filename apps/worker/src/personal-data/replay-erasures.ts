/*
 * `npm run replay-erasures`: after a restore, delete again the data keys that erasures had deleted.
 * Runs without a build step: node -r ./libs/event-store/src/testing/register-ts.js apps/worker/src/personal-data/replay-erasures.ts
 * (the built worker does the same with `node dist/apps/worker/main.js replay-erasures`).
 */
import { runReplayErasuresCli } from './replay-erasures-cli';

runReplayErasuresCli(process.env).then((code) => process.exit(code));
