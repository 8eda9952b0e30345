import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * Runs append-from-another-process.ts in a child process on the SQLite file at `path` (the worker
 * beside the api): `count` events appended to `stream`, `gapMs` apart. Resolves with what it
 * printed (each position, a line each) once it has closed the store.
 */
export function appendFromAnotherProcess(path: string, stream: string, count: number, gapMs: number): Promise<{ stdout: string }> {
  return promisify(execFile)(
    process.execPath,
    [
      '-r',
      join(__dirname, 'register-ts.js'),
      join(__dirname, 'append-from-another-process.ts'),
      path,
      stream,
      String(count),
      String(gapMs),
    ],
    { cwd: resolve(__dirname, '../../../..') },
  );
}
