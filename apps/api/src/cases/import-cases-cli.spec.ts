import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { caseStreamId, foldCase, userIdFor } from '@send/domain';
import { SqliteEventStore } from '@send/event-store';
import { loadConfig } from '@send/platform/config';
import { createStores } from '@send/platform/personal-data';
import { registerUser } from '@send/read-models/testing/read-model-fixtures';
import { runImportCasesCli } from './import-cases-cli';

const HEADER = 'caseRef,childName,teamId,caseOfficerEmail,contactName,relationship,contactEmail,contactPhone';

describe('import-cases CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'import-cases-'));
    env = { SQLITE_PATH: join(dir, 'events.db'), NODE_ENV: 'test' };
    const store = new SqliteEventStore({ path: env.SQLITE_PATH });
    await registerUser(store, {
      id: userIdFor('officer@example.org'),
      email: 'officer@example.org',
      name: 'Olu Officer',
      role: 'officer',
      teamId: 'north',
    });
    await registerUser(store, { id: userIdFor('parent@example.org'), email: 'parent@example.org', name: 'Pat Parent', role: 'parent' });
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (file: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const sink = (into: string[]) => new Writable({ write: (chunk, _e, cb) => (into.push(chunk.toString()), cb()) });
    const code = await runImportCasesCli([file], env, { stdout: sink(out), stderr: sink(err) });
    return { code, out: out.join(''), err: err.join('') };
  };
  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  const readCase = async (caseRef: string) => {
    // As the apps read it: through the encryption layer (the contacts' details are stored encrypted).
    const { store } = createStores(loadConfig(env));
    try {
      return { state: foldCase(await store.read(caseStreamId(caseRef))), head: await store.headPosition() };
    } finally {
      await store.close();
    }
  };

  it('imports into the configured store with progress on stderr; again, all unchanged and nothing appended (exit 0)', async () => {
    const file = write('cases.csv', [
      HEADER,
      'C-1,Sam,north,officer@example.org,Pat Parent,mother,parent@example.org,07700 900101',
      'C-2,Jo,north,officer@example.org,,,,',
    ]);
    const first = await run(file);
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/importing cases: 2\/2 lines \(100%\)\n$/); // not a TTY: plain lines
    expect(first.out).toBe(`${file}: created 2, updated 0, unchanged 0; 0 lines rejected\n`);
    const { state, head } = await readCase('C-1');
    expect(state).toMatchObject({
      caseOfficerId: userIdFor('officer@example.org'),
      contacts: [{ phone: '+447700900101', userId: userIdFor('parent@example.org') }],
    });

    const second = await run(file);
    expect(second).toMatchObject({ code: 0, out: `${file}: created 0, updated 0, unchanged 2; 0 lines rejected\n` });
    expect((await readCase('C-1')).head).toBe(head);
  });

  it('draws a progress bar when stderr is a terminal', async () => {
    const file = write('tty.csv', [HEADER, 'C-1,Sam,north,officer@example.org,,,,']);
    const err: string[] = [];
    const tty = Object.assign(new Writable({ write: (chunk, _e, cb) => (err.push(chunk.toString()), cb()) }), {
      isTTY: true,
      columns: 100,
    });
    const out = new Writable({ write: (_chunk, _e, cb) => cb() });
    expect(await runImportCasesCli([file], env, { stdout: out, stderr: tty })).toBe(0);
    expect(err.join('')).toMatch(/importing cases \[[█░=\- ]*\] 100% \| 1\/1 lines/);
  });

  it('lists every rejected line with its reasons (exit 2); the other cases import', async () => {
    const file = write('some-bad.csv', [
      HEADER,
      'C-1,Sam,north,officer@example.org,Pat,mother,,0770',
      'C-1,Sam,north,officer@example.org,Lee,father,,',
      'C-2,Jo,north,officer@example.org,,,,',
    ]);
    const { code, out } = await run(file);
    expect(code).toBe(2);
    expect(out).toBe(
      [
        `${file}: created 1, updated 0, unchanged 0; 2 lines rejected`,
        'line 2: contactPhone: "0770" is not a phone number (e.g. 07700 900101 or +447700900101)',
        'line 3: caseRef: case C-1 not imported: line 2 is invalid',
        '',
      ].join('\n'),
    );
    expect((await readCase('C-1')).state).toBeNull();
  });

  it('stops on a file it cannot read or whose header lacks columns (exit 1), importing nothing', async () => {
    const bad = await run(write('bad-header.csv', ['caseRef,childName', 'C-1,Sam']));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('The header lacks columns: teamId, caseOfficerEmail, contactName, relationship, contactEmail, contactPhone');
    expect((await run(join(dir, 'missing.csv'))).code).toBe(1);
    expect((await readCase('C-1')).state).toBeNull();
  });
});
