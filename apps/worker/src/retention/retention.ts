/*
 * `npm run retention`: erase the personal data of requests past the policy's retention period.
 * Runs without a build step: node -r ./libs/event-store/src/testing/register-ts.js apps/worker/src/retention/retention.ts
 * (the built worker does the same with `node dist/apps/worker/main.js retention`).
 */
import 'reflect-metadata';
import { runRetentionCli } from './retention-cli';

runRetentionCli(process.env).then((code) => process.exit(code));
