import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ERASED, personalFieldsOf } from '@send/domain';
import {
  CachedDataKeyStore,
  EncryptingEventStore,
  createDataKeyStore,
  createEventStore,
  eventStoreConfig,
  type DataKeyStoreConfig,
  type EventStore,
  type EventStoreObserver,
  type PersonalDataSchema,
} from '@send/event-store';
import type { Env } from './config';

/**
 * The data key store (issue 14, ADR 0016) as Nest provides it, beside EVENT_STORE: a
 * `DataKeyStore` (@send/event-store), the same instance the encrypting store reads keys through,
 * so an erasure made with it is seen by this process's reads at once. Null when
 * PERSONAL_DATA_ENCRYPTION=false.
 */
export const DATA_KEYS = Symbol('DATA_KEYS');

/** The domain's knowledge of which fields are personal, for the store's encryption layer. */
export const PERSONAL_DATA_SCHEMA: PersonalDataSchema = { fieldsOf: personalFieldsOf, erased: ERASED };

type StoreSettings = Parameters<typeof eventStoreConfig>[0] &
  Pick<
    Env,
    | 'NODE_ENV'
    | 'PERSONAL_DATA_ENCRYPTION'
    | 'DATA_KEYS_SECRET'
    | 'DATA_KEYS_SECRET_FILE'
    | 'DATA_KEYS_POSTGRES_URL'
    | 'DATA_KEYS_POSTGRES_SCHEMA'
  >;

export interface Stores {
  /** The event store every process reads and writes through: decrypting, when encryption is on. */
  store: EventStore;
  /** Its data keys (DATA_KEYS); null when encryption is off. */
  dataKeys: CachedDataKeyStore | null;
}

/**
 * The stores the settings choose, for the apps and every command-line tool alike: the event store
 * wrapped in the encryption layer, and its key store. Closing the store closes the keys too.
 */
export function createStores(settings: StoreSettings, observer?: EventStoreObserver): Stores {
  const raw = createEventStore(eventStoreConfig(settings, observer));
  if (!settings.PERSONAL_DATA_ENCRYPTION) return { store: raw, dataKeys: null };
  const dataKeys = new CachedDataKeyStore(createDataKeyStore(dataKeyStoreConfig(settings)));
  return { store: new EncryptingEventStore(raw, dataKeys, PERSONAL_DATA_SCHEMA, { ownsKeys: true }), dataKeys };
}

/** Where the keys live: beside the events in SQLite; in a PostgreSQL schema of their own for postgres and KurrentDB. */
export function dataKeyStoreConfig(settings: StoreSettings): DataKeyStoreConfig {
  const secret = dataKeysSecret(settings);
  switch (settings.EVENT_STORE) {
    case 'sqlite':
      return { kind: 'sqlite', path: settings.SQLITE_PATH, secret };
    case 'postgres':
    case 'kurrentdb':
      return {
        kind: 'postgres',
        // Validated: kurrentdb has DATA_KEYS_POSTGRES_URL, postgres has POSTGRES_URL.
        url: (settings.DATA_KEYS_POSTGRES_URL ?? settings.POSTGRES_URL)!,
        schema: settings.DATA_KEYS_POSTGRES_SCHEMA,
        secret,
      };
  }
}

/**
 * DATA_KEYS_SECRET, else the file DATA_KEYS_SECRET_FILE names; elsewhere than production (where the
 * settings require one), the installation's own, made once beside the SQLite file as `npm start`
 * makes the token signing secret (scripts/lib/installation-secret.js).
 */
export function dataKeysSecret(
  settings: Pick<StoreSettings, 'DATA_KEYS_SECRET' | 'DATA_KEYS_SECRET_FILE' | 'SQLITE_PATH' | 'NODE_ENV'>,
): string {
  if (settings.DATA_KEYS_SECRET) return settings.DATA_KEYS_SECRET;
  if (settings.DATA_KEYS_SECRET_FILE) return readFileSync(settings.DATA_KEYS_SECRET_FILE, 'utf8').trim();
  if (settings.NODE_ENV === 'production') throw new Error('DATA_KEYS_SECRET or DATA_KEYS_SECRET_FILE must be set in production');
  // An in-memory store forgets its keys with the process: so may its secret.
  if (settings.SQLITE_PATH === ':memory:' || settings.SQLITE_PATH === '') return randomBytes(32).toString('base64url');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { installationSecret } = require('../../../scripts/lib/installation-secret') as {
    installationSecret(file: string, options: { describe: string; setting: string; log?: (line: string) => void }): string;
  };
  return installationSecret(join(dirname(settings.SQLITE_PATH), 'data-keys-secret'), {
    describe: 'a key-encryption key for personal data',
    setting: 'DATA_KEYS_SECRET or DATA_KEYS_SECRET_FILE',
  });
}
