import { readFileSync } from 'node:fs';

/**
 * Secret settings that may be given as a file instead: NAME_FILE=/run/secrets/name (a mounted Docker
 * or Kubernetes secret) in place of NAME=value, so the value is in no environment listing, process
 * table or compose file. The platform's own; a library's settings add theirs (ConfigFragment.secretFiles).
 * KURRENTDB_PASSWORD_FILE is not here: the KurrentDB adapter reads that file itself (libs/event-store).
 */
export const SECRET_FILE_SETTINGS = [
  'JWT_SECRET',
  'TELEPHONY_SECRET',
  'METRICS_TOKEN',
  'DATA_KEYS_SECRET',
  'OIDC_CLIENT_SECRET',
  // Connection URLs carry their server's password.
  'REDIS_URL',
  'POSTGRES_URL',
  'DATA_KEYS_POSTGRES_URL',
] as const;

export interface SecretFiles {
  /** The environment with each NAME_FILE's content (trimmed: files end with a newline) as NAME. */
  env: Record<string, string | undefined>;
  /** The settings whose value came from a file, so an error about them says so. */
  fromFile: Set<string>;
  /** `NAME_FILE: ...` for each file that could not be used; never the content. */
  issues: string[];
}

/**
 * The one place a NAME_FILE is read, once at start (loadConfig): the value then goes through the
 * same validation as NAME set directly. Both set is refused rather than one silently winning; an
 * unreadable or empty file stops the app with the path and the system's reason (never the content).
 */
export function readSecretFiles(env: Record<string, string | undefined>, names: readonly string[]): SecretFiles {
  const out = { ...env };
  const fromFile = new Set<string>();
  const issues: string[] = [];
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    if (env[name] !== undefined) {
      issues.push(`${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    let value: string;
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch (err) {
      // fs's message names the path and the reason (ENOENT, EACCES, EISDIR), nothing read.
      issues.push(`${name}_FILE: cannot read ${file}: ${(err as Error).message}`);
      continue;
    }
    if (!value) {
      issues.push(`${name}_FILE: ${file} is empty`);
      continue;
    }
    out[name] = value;
    fromFile.add(name);
  }
  return { env: out, fromFile, issues };
}
