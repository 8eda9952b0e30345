/*
 * `npm run encrypt-events`: encrypt in place the personal data of events written before encryption.
 * Runs without a build step: node -r ./libs/event-store/src/testing/register-ts.js apps/worker/src/personal-data/encrypt-events.ts
 * (the built worker does the same with `node dist/apps/worker/main.js encrypt-events`).
 */
import { runEncryptEventsCli } from './encrypt-events-cli';

runEncryptEventsCli(process.env).then((code) => process.exit(code));
