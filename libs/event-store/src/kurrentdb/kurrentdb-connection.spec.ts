import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kurrentDbConnectionString, kurrentDbCredentials } from './kurrentdb-connection';

describe('kurrentDbConnectionString', () => {
  it('applies the settings over the URL, keeps its hosts and other settings, and prefers the leader', () => {
    expect(
      kurrentDbConnectionString({
        url: 'kurrentdb://a:2113,b:2113,c:2113?tls=false&connectionName=api&DefaultDeadline=500',
        tls: true,
        tlsCaFile: '/run/secrets/ca.pem',
        deadlineMs: 4000,
        keepAliveMs: 20000,
      }),
    ).toBe(
      'kurrentdb://a:2113,b:2113,c:2113?tls=true&connectionName=api&defaultDeadline=4000&tlsCAFile=/run/secrets/ca.pem&keepAliveInterval=20000&keepAliveTimeout=20000&nodePreference=leader',
    );
  });

  it('leaves the URL as it is when nothing is set, but for the leader preference; keeps one the URL names', () => {
    expect(kurrentDbConnectionString({ url: 'kurrentdb://localhost:2113' })).toBe('kurrentdb://localhost:2113?nodePreference=leader');
    expect(kurrentDbConnectionString({ url: 'kurrentdb+discover://cluster:2113?nodePreference=random' })).toBe(
      'kurrentdb+discover://cluster:2113?nodePreference=random',
    );
  });

  it('refuses credentials in the URL and in the variables at once, and a URL that is not KurrentDB', () => {
    expect(() => kurrentDbConnectionString({ url: 'kurrentdb://admin:changeit@localhost:2113', username: 'admin', password: 'x' })).toThrow(
      /give the credentials once/,
    );
    expect(() => kurrentDbConnectionString({ url: 'https://localhost:2113' })).toThrow(/must be a KurrentDB connection string/);
  });
});

describe('kurrentDbCredentials', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kurrentdb-credentials-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the password from its file, without the trailing newline of a mounted secret', () => {
    const file = join(dir, 'password');
    writeFileSync(file, 's3cret with spaces\n');
    expect(kurrentDbCredentials({ url: 'kurrentdb://x', username: 'ops', passwordFile: file })).toEqual({
      username: 'ops',
      password: 's3cret with spaces',
    });
    expect(kurrentDbCredentials({ url: 'kurrentdb://x', username: 'ops', password: 'p' })).toEqual({ username: 'ops', password: 'p' });
    expect(kurrentDbCredentials({ url: 'kurrentdb://x' })).toBeNull();
  });

  it('names the variable when the file cannot be read or the password is missing, without the password', () => {
    expect(() => kurrentDbCredentials({ url: 'kurrentdb://x', username: 'ops', passwordFile: join(dir, 'missing') })).toThrow(
      /KURRENTDB_PASSWORD_FILE: cannot read/,
    );
    expect(() => kurrentDbCredentials({ url: 'kurrentdb://x', username: 'ops' })).toThrow(/KURRENTDB_USERNAME is set without a password/);
  });
});
