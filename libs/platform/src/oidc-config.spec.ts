import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseValueMap } from './config';

const oidc = {
  OIDC_ISSUER: 'https://login.example.org/tenant/v2.0',
  OIDC_CLIENT_ID: 'send',
  OIDC_CLIENT_SECRET: 'client-secret-value',
  OIDC_REDIRECT_URL: 'https://send.example.org/sign-in/oidc/callback',
  OIDC_ROLE_MAP: 'g-officers=officer',
};

describe('OpenID Connect settings', () => {
  it('are all optional: none set, none is read', () => {
    expect(loadConfig({}).OIDC_ISSUER).toBeUndefined();
  });

  it('take the defaults for scopes and the role claim', () => {
    expect(loadConfig(oidc)).toMatchObject({ OIDC_SCOPES: 'openid profile email', OIDC_ROLE_CLAIM: 'roles' });
  });

  it.each([
    [{ OIDC_ISSUER: oidc.OIDC_ISSUER }, /OIDC_CLIENT_ID: is required when OIDC_ISSUER is set/],
    [{ OIDC_ROLE_MAP: 'a=officer' }, /OIDC_ISSUER: is required when OIDC_ROLE_MAP is set/],
    [{ ...oidc, OIDC_CLIENT_SECRET: undefined }, /OIDC_CLIENT_SECRET: or OIDC_CLIENT_SECRET_FILE is required/],
    [
      { ...oidc, OIDC_CLIENT_SECRET_FILE: '/nowhere/secret' },
      /OIDC_CLIENT_SECRET_FILE: set OIDC_CLIENT_SECRET or OIDC_CLIENT_SECRET_FILE, not both/,
    ],
    [
      { ...oidc, OIDC_CLIENT_SECRET: undefined, OIDC_CLIENT_SECRET_FILE: '/nowhere/secret' },
      /OIDC_CLIENT_SECRET_FILE: cannot read \/nowhere\/secret/,
    ],
    [
      { ...oidc, OIDC_ROLE_MAP: 'g-officers=superuser' },
      /OIDC_ROLE_MAP: "g-officers" maps to "superuser", which is not one of officer, team_manager/,
    ],
    [{ ...oidc, OIDC_ROLE_MAP: 'g-officers' }, /OIDC_ROLE_MAP: "g-officers" is not value=target/],
    [{ ...oidc, OIDC_ROLE_MAP: '{"a": 1}' }, /OIDC_ROLE_MAP: "a" must map to a non-empty string/],
    [{ ...oidc, OIDC_TEAM_MAP: 'g-north=north' }, /OIDC_TEAM_CLAIM: is required when OIDC_TEAM_MAP is set/],
    [{ ...oidc, OIDC_ISSUER: 'not a url' }, /OIDC_ISSUER: must be the identity provider's issuer URL/],
    [{ ...oidc, OIDC_REDIRECT_URL: 'https://send.example.org/callback' }, /OIDC_REDIRECT_URL: must end with \/sign-in\/oidc\/callback/],
    [
      { ...oidc, NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-of-32-characters!!', OIDC_ISSUER: 'http://idp.example.org' },
      /OIDC_ISSUER: must be https:\/\/ in production/,
    ],
  ])('stop the app on %j with a message naming the setting', (env, message) => {
    const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
    expect(() => loadConfig(defined)).toThrow(ConfigError);
    expect(() => loadConfig(defined)).toThrow(message);
  });

  it('read the client secret from a file instead, never echoing it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'oidc-secret-')), 'secret');
    writeFileSync(file, 'from-a-file\n');
    const config = loadConfig({ ...oidc, OIDC_CLIENT_SECRET: '', OIDC_CLIENT_SECRET_FILE: file });
    expect(config.OIDC_CLIENT_SECRET).toBe('from-a-file');
    expect(config.OIDC_CLIENT_SECRET_FILE).toBe(file);
  });

  it('map values by pairs (split at the last =) or by JSON for values that hold commas', () => {
    expect(parseValueMap('a=officer, b = admin')).toEqual({ map: { a: 'officer', b: 'admin' } });
    expect(parseValueMap('role=send=officer')).toEqual({ map: { 'role=send': 'officer' } });
    expect(parseValueMap('{"CN=SEND,OU=Groups":"officer"}')).toEqual({ map: { 'CN=SEND,OU=Groups': 'officer' } });
    expect(parseValueMap(' , ')).toEqual({ error: 'maps nothing: give at least one value=target' });
    expect(parseValueMap('{"a":')).toMatchObject({ error: expect.stringMatching(/^is not valid JSON/) });
  });
});
