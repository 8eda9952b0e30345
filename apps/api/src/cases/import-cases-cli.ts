import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { ConfigError, loadConfig } from '@send/platform/config';
import { createStores } from '@send/platform/personal-data';
import { SystemClock } from '@send/platform/clock';
import { CaseCommands } from './case-commands';
import { CaseFileError, CaseImport, type ImportProgress } from './case-import';

export interface ImportCliIo {
  /** Progress goes here: a bar on a terminal, a line every few seconds otherwise (logs, CI). */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** The counts and every rejected line. */
  stdout: NodeJS.WritableStream;
}

/** Exit codes: everything imported; the file could not be read (nothing imported); some lines rejected. */
export const EXIT_IMPORTED = 0;
export const EXIT_BAD_FILE = 1;
export const EXIT_SOME_REJECTED = 2;

const PLAIN_EVERY_MS = 2000;

/**
 * `npm run import-cases -- file.csv` (or `node dist/apps/api/main.js import-cases file.csv`): the
 * same CaseImport as POST /api/cases/import, on the event store the environment configures
 * (EVENT_STORE, SQLITE_PATH, POSTGRES_URL, KURRENTDB_URL), alongside a running api. Needs no Redis: the worker
 * projects the cases as it does any other events. Returns the exit code.
 */
export async function runImportCasesCli(args: string[], env: NodeJS.ProcessEnv = process.env, io: ImportCliIo = process): Promise<number> {
  const file = args[0];
  if (!file || args.length > 1) {
    io.stderr.write('usage: npm run import-cases -- <file.csv>\n');
    return EXIT_BAD_FILE;
  }
  let config;
  let csv: string;
  try {
    config = loadConfig(env);
    csv = readFileSync(file, 'utf8');
  } catch (error) {
    io.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_BAD_FILE;
  }
  // Through the encryption layer, as the apps: what it writes is encrypted, what it reads decrypted.
  const { store } = createStores(config);
  const progress = progressReporter(io.stderr);
  try {
    const importer = new CaseImport(new CaseCommands(store, config, new SystemClock()), store);
    const report = await importer.importCsv(csv, {
      actor: { id: 'import-cases-cli', role: 'system' },
      correlationId: randomUUID(),
      onProgress: progress.update,
    });
    progress.stop();
    const rejectedLines = report.rejected.length;
    io.stdout.write(
      `${file}: created ${report.created}, updated ${report.updated}, unchanged ${report.unchanged}; ${rejectedLines} line${rejectedLines === 1 ? '' : 's'} rejected\n`,
    );
    for (const { line, errors } of report.rejected)
      io.stdout.write(`line ${line}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}\n`);
    return report.rejected.length > 0 ? EXIT_SOME_REJECTED : EXIT_IMPORTED;
  } catch (error) {
    progress.stop();
    io.stderr.write(
      `${file}: ${error instanceof CaseFileError ? error.message : `import failed: ${error instanceof Error ? error.message : String(error)}`}\n`,
    );
    return EXIT_BAD_FILE;
  } finally {
    await store.close().catch(() => undefined);
  }
}

function progressReporter(stderr: ImportCliIo['stderr']): { update(p: ImportProgress): void; stop(): void } {
  if (stderr.isTTY) {
    const bar = new SingleBar({
      stream: stderr,
      format: 'importing cases [{bar}] {percentage}% | {value}/{total} lines | {eta}s left',
      hideCursor: true,
    });
    let started = false;
    return {
      update: (p) => {
        if (!started) bar.start(Math.max(p.total, 1), 0);
        started = true;
        bar.update(p.done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  let shown = -1;
  const line = (p: ImportProgress) => {
    shown = p.done;
    stderr.write(`importing cases: ${p.done}/${p.total} lines (${p.total ? Math.floor((100 * p.done) / p.total) : 100}%)\n`);
  };
  let latest: ImportProgress | null = null;
  return {
    update: (p) => {
      latest = p;
      const now = Date.now();
      if (p.done === 0 || now - last >= PLAIN_EVERY_MS) {
        last = now;
        line(p);
      }
    },
    stop: () => {
      if (latest && latest.done !== shown) line(latest);
    },
  };
}
