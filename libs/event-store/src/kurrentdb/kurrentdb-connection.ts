import { readFileSync } from 'node:fs';

/** How to reach KurrentDB: the URL for where, the rest apart from it (config.ts, KURRENTDB_*). */
export interface KurrentDbConnectionSettings {
  /**
   * A KurrentDB connection string naming the node, or the cluster's gossip seeds
   * (kurrentdb://a:2113,b:2113,c:2113) or its DNS name (kurrentdb+discover://cluster:2113).
   * It may carry any client setting; the settings below override its own.
   */
  url: string;
  username?: string;
  /** Prefer `passwordFile` (a mounted secret): the password then sits in no variable and no URL. */
  password?: string;
  passwordFile?: string;
  /** false for a server run with --insecure. Unset: the URL's own, else the client's default (true). */
  tls?: boolean;
  /** The CA that signed the server's certificate, when it is not a public one. */
  tlsCaFile?: string;
  /** gRPC deadline of each call, ms (client defaultDeadline, 10 000 by default). */
  deadlineMs?: number;
  /** Keepalive ping interval and its timeout, ms (client keepAliveInterval/keepAliveTimeout). */
  keepAliveMs?: number;
}

/**
 * The connection string the client is built from: the URL's hosts and settings, with ours applied.
 *
 * Why through the string: the client's reads go over a separate Rust "bridge" connection that is
 * built from the connection string alone (client Client/index.ts connectionString:
 * `bridge.createClient(string)`), so a setting given any other way would reach appends but not
 * reads. Credentials are the exception: they are never put in it (the client logs the string it
 * is given at debug level) but handed to the client's credentials provider, which both connections
 * ask per call (Client.resolveBridgeCredentials, Client.callArguments).
 *
 * nodePreference=leader unless the URL says otherwise: reads are sent requires-leader, and a client
 * that discovered a follower would have each one refused (NotLeader) before it moves.
 */
export function kurrentDbConnectionString(settings: KurrentDbConnectionSettings): string {
  const url = settings.url.trim();
  const queryAt = url.indexOf('?');
  const base = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt + 1);
  if (!/^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\//.test(base)) {
    throw new Error('KURRENTDB_URL must be a KurrentDB connection string (kurrentdb://host:2113, kurrentdb+discover://host:2113)');
  }
  if (settings.username !== undefined && /\/\/[^/@]*@/.test(base)) {
    throw new Error(
      'KURRENTDB_URL carries credentials and KURRENTDB_USERNAME is set: give the credentials once, in KURRENTDB_USERNAME and KURRENTDB_PASSWORD(_FILE)',
    );
  }
  const params: [string, string][] = query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    });
  const set = (key: string, value: string | number | boolean | undefined, onlyIfAbsent = false) => {
    if (value === undefined) return;
    if (/[&?]/.test(String(value))) throw new Error(`KurrentDB setting ${key}: '&' and '?' cannot be passed to the client`);
    // The client reads setting names case-insensitively (Client/parseConnectionString.ts caseMap).
    const existing = params.findIndex(([k]) => k.toLowerCase() === key.toLowerCase());
    if (existing >= 0) {
      if (!onlyIfAbsent) params[existing] = [key, String(value)];
    } else params.push([key, String(value)]);
  };
  set('tls', settings.tls);
  set('tlsCAFile', settings.tlsCaFile);
  set('defaultDeadline', settings.deadlineMs);
  set('keepAliveInterval', settings.keepAliveMs);
  set('keepAliveTimeout', settings.keepAliveMs);
  set('nodePreference', 'leader', true);
  return `${base}?${params.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

/** The user and password to send, when configured: the password from the variable or from its file. */
export function kurrentDbCredentials(settings: KurrentDbConnectionSettings): { username: string; password: string } | null {
  if (settings.username === undefined) return null;
  let password = settings.password;
  if (settings.passwordFile !== undefined) {
    try {
      // A secret file (Docker, Kubernetes) usually ends with a newline that is not part of the password.
      password = readFileSync(settings.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new Error(`KURRENTDB_PASSWORD_FILE: cannot read ${settings.passwordFile}: ${(error as Error).message}`);
    }
  }
  if (!password) throw new Error('KURRENTDB_USERNAME is set without a password: set KURRENTDB_PASSWORD or KURRENTDB_PASSWORD_FILE');
  return { username: settings.username, password };
}
