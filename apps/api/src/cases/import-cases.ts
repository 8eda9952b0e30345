/*
 * `npm run import-cases -- file.csv`: import cases from a CSV file into the configured event store.
 * Runs without a build step: node -r ./libs/event-store/src/testing/register-ts.js apps/api/src/cases/import-cases.ts file.csv
 * (the built api does the same with `node dist/apps/api/main.js import-cases file.csv`).
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { runImportCasesCli } from './import-cases-cli';

// npm runs scripts from the package root: a relative file name is the caller's, from INIT_CWD.
const args = process.argv.slice(2).map((arg) => resolve(process.env.INIT_CWD ?? process.cwd(), arg));
runImportCasesCli(args).then((code) => process.exit(code));
