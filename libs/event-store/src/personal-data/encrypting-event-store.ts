import type {
  AllSubscription,
  AppendOptions,
  AppendResult,
  EventData,
  EventStore,
  ExpectedRevision,
  ReadOptions,
  RecordedEvent,
  SubscribeToAllOptions,
} from '../event-store.port';
import { CachedDataKeyStore } from './cached-data-key-store';
import {
  ENVELOPE_PREFIX,
  PersonalDataUnreadable,
  encryptField,
  isEnvelope,
  isEnvelopePathKey,
  openEnvelope,
  openEventEnvelope,
  parseEnvelope,
  parseEventEnvelope,
  sealEventFields,
} from './data-key-crypto';
import { DATA_KEYS_EXIST, type DataKey, type DataKeyStore, type NewDataKeyRow } from './data-key-store.port';

/**
 * Where an event's sealed personal fields are stored (a pd2 envelope, ADR 0016): beside its other
 * data, the fields themselves left as '' in their places. Readers never see it: reads restore them.
 */
export const SEALED_FIELDS_KEY = '$pd';

/**
 * Whose a personal field is (the shape of @send/domain's personalFieldsOf, which the apps pass in:
 * the store knows no event types). `streamOwner`: the stream's first subject in the key store;
 * `fromStream`: found in the stream's earlier events; `otherwise` when neither is there.
 */
export type PersonalFieldSubject =
  | { kind: 'subject'; subjectId: string }
  | { kind: 'streamOwner'; otherwise: string }
  | { kind: 'fromStream'; find: (earlier: ReadonlyArray<{ type: string; data: unknown }>) => string | null; otherwise: string };

export interface PersonalField {
  path: readonly string[];
  subject: PersonalFieldSubject;
}

export interface PersonalDataSchema {
  /** The personal string fields of an event about to be appended. */
  fieldsOf(event: { streamId: string; type: string; data: unknown }): PersonalField[];
  /** What a field reads as once its key is erased (@send/domain's ERASED). */
  erased: string;
}

export interface EncryptingEventStoreOptions {
  /** Close the key store with the event store (the apps' single shutdown hook closes EVENT_STORE). */
  ownsKeys?: boolean;
}

/**
 * The encryption layer (issue 14, ADR 0016): an EventStore around any other. Appends encrypt each
 * personal field (the schema says which, and whose) under the data key of its subject in that stream;
 * reads, subscriptions, batches and an append's recorded events come back decrypted, so every reader
 * is unchanged. A field whose key is erased reads as `schema.erased`; a corrupt envelope, or one its
 * key does not open, is an error (PersonalDataUnreadable), never silently "erased". Text stored before
 * encryption (not an envelope) reads as it is, until `npm run encrypt-events` rewrites it.
 */
export class EncryptingEventStore implements EventStore {
  readonly keys: CachedDataKeyStore;

  constructor(
    readonly inner: EventStore,
    keys: DataKeyStore,
    private readonly schema: PersonalDataSchema,
    private readonly options: EncryptingEventStoreOptions = {},
  ) {
    this.keys = keys instanceof CachedDataKeyStore ? keys : new CachedDataKeyStore(keys);
    this.keysWithEvents = inner.dataKeysLocation !== undefined && inner.dataKeysLocation === this.keys.location && !!this.keys.inner.newKey;
  }

  /**
   * True when the inner store keeps the keys in its own database (SQLite: the key table is in the
   * events' file): a new stream's keys are then stored in the transaction of its first events.
   */
  private readonly keysWithEvents: boolean;

  append(stream: string, events: EventData[], options: AppendOptions): Promise<AppendResult> {
    const { expectedRevision } = options;
    const newStream = expectedRevision === 'no_stream';
    if (newStream && this.keysWithEvents) return this.appendNewStream(stream, events, expectedRevision);
    try {
      return this.appendUnderStoredKeys(stream, events, expectedRevision, newStream);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A new stream's keys are made here and stored in the transaction of its first events: no
   * transaction of their own, which on SQLite also waited for the writer thread's write lock.
   */
  private async appendNewStream(stream: string, events: EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    const made = new NewStreamKeys(this.keys, stream);
    const encrypted = await this.encryptAppend(stream, events, made, true);
    try {
      const rows = made.rows();
      const result = await this.inner.append(stream, encrypted, rows.length ? { expectedRevision, dataKeys: rows } : { expectedRevision });
      // Stored by this call (a retry's no-op hands back what the first call stored, read back).
      if (result.events?.[0]?.data === encrypted[0].data) made.remember();
      return this.asGiven(result, events, encrypted);
    } catch (error) {
      if ((error as { code?: string }).code !== DATA_KEYS_EXIST) throw error;
      // The stream's scope has keys already (made for an append that failed): encrypt under those.
    }
    return this.appendUnderStoredKeys(stream, events, expectedRevision, true);
  }

  /**
   * The usual append: encrypted under the stream's stored keys. Not async: an append whose events
   * need no read and no new key (most of them) costs one promise here, the inner store's `then`.
   */
  private appendUnderStoredKeys(
    stream: string,
    events: EventData[],
    expectedRevision: ExpectedRevision,
    newStream: boolean,
  ): Promise<AppendResult> {
    const encrypting = this.encryptAppend(stream, events, new StoredKeys(this.keys, stream, newStream), newStream);
    const append = (encrypted: EventData[]) =>
      this.inner.append(stream, encrypted, { expectedRevision }).then((result) => this.asGiven(result, events, encrypted));
    return encrypting instanceof Promise ? encrypting.then(append) : append(encrypting);
  }

  /**
   * What an append stored, as the caller gave it (no decryption: the adapters hand back the data
   * objects they were given); a retry's no-op returns what was stored the first time, read back like any read.
   */
  private asGiven(result: AppendResult, events: EventData[], encrypted: EventData[]): AppendResult | Promise<AppendResult> {
    if (!result.events) return result;
    const recorded = result.events;
    const out: RecordedEvent[] = new Array(recorded.length);
    let readBack: number[] | null = null;
    for (let i = 0; i < recorded.length; i++) {
      const e = recorded[i];
      const given = i < encrypted.length && e.data === encrypted[i].data ? events[i].data : undefined;
      if (given !== undefined) out[i] = e.data === given ? e : { ...e, data: given };
      else (readBack ??= []).push(i);
    }
    if (!readBack) return { ...result, events: out };
    const toRead = readBack;
    return Promise.resolve(this.decryptAll(toRead.map((i) => recorded[i]))).then((plain) => {
      toRead.forEach((i, k) => (out[i] = plain[k]));
      return { ...result, events: out };
    });
  }

  async read(stream: string, options?: ReadOptions): Promise<RecordedEvent[]> {
    return this.decryptAll(await this.inner.read(stream, options));
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    return new DecryptingSubscription(this.inner.subscribeToAll(options), this);
  }

  headPosition(): Promise<bigint> {
    return this.inner.headPosition();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  async close(): Promise<void> {
    await this.inner.close();
    if (this.options.ownsKeys) await this.keys.close();
  }

  /**
   * Events as readers see them: without a promise when every key they need is cached; otherwise the
   * keys the page lacks are fetched once each (a page holds many events under few keys).
   */
  decryptAll(events: RecordedEvent[]): RecordedEvent[] | Promise<RecordedEvent[]> {
    const missing = new Set<string>();
    /** The events a key was missing for: decrypted again, whole, once the keys are fetched. */
    const again: number[] = [];
    const out = events.map((e, i) => {
      let lacking = false;
      const decrypted = this.decryptWith(e, (keyId) => {
        const key = this.keys.cachedKey(keyId);
        if (key) return key;
        missing.add(keyId);
        lacking = true;
        return undefined;
      });
      if (lacking) again.push(i);
      return decrypted;
    });
    if (missing.size === 0) return out;
    return this.keys.keysById([...missing]).then((found) => {
      for (const i of again) out[i] = this.decryptWith(events[i], (keyId) => found.get(keyId) ?? this.keys.cachedKey(keyId) ?? null);
      return out;
    });
  }

  /** One event decrypted: itself when it holds no envelope, synchronously when its keys are cached. */
  decrypt(event: RecordedEvent): RecordedEvent | Promise<RecordedEvent> {
    const all = this.decryptAll([event]);
    return Array.isArray(all) ? all[0] : all.then((events) => events[0]);
  }

  /**
   * The event with its envelopes opened by `keyOf`'s keys (null: erased; undefined: not at hand,
   * left sealed for a second pass). The same event when nothing in it changed.
   */
  private decryptWith(event: RecordedEvent, keyOf: (keyId: string) => Buffer | null | undefined): RecordedEvent {
    let data: unknown;
    try {
      data = decryptEventData(event.data, keyOf, this.schema.erased);
    } catch (error) {
      throw unreadable(event, error);
    }
    return data === event.data ? event : { ...event, data: data as Record<string, unknown> };
  }

  /**
   * `newStream`: the append expects no stream, so nothing stored precedes its events (were there any,
   * it fails). The events at once when no field needed a wait (a read of the stream, a key made or
   * fetched); a promise of them from the first that did.
   */
  private encryptAppend(stream: string, events: EventData[], keys: StreamKeys, newStream: boolean): EventData[] | Promise<EventData[]> {
    const out: EventData[] = new Array(events.length);
    let stored: { type: string; data: unknown }[] | null = newStream ? [] : null;
    let at = 0;
    // The stream's events before events[at]: asked for only when a field's subject is found there.
    const earlier = async () => [
      ...(stored ??= (await this.read(stream)).map((e) => ({ type: e.type, data: e.data }))),
      ...events.slice(0, at),
    ];
    const seal = () => this.encryptData(stream, events[at].type, events[at].data, earlier, keys);
    const place = (data: Record<string, unknown>) => (out[at] = data === events[at].data ? events[at] : { ...events[at], data });
    for (; at < events.length; at++) {
      const sealed = seal();
      if (sealed instanceof Promise) {
        return (async () => {
          for (place(await sealed), at++; at < events.length; at++) {
            const next = seal();
            place(next instanceof Promise ? await next : next);
          }
          return out;
        })();
      }
      place(sealed);
    }
    return out;
  }

  /**
   * The event's data with its personal fields encrypted under their subject's key in this stream
   * (the same object when it has none to encrypt): one subject's fields (in practice all of them: an
   * event's personal fields are one person's) sealed together in one pd2 envelope under
   * SEALED_FIELDS_KEY, each left as '' in its place; any other subject's, or a path a field list
   * cannot name, a pd1 envelope each. A field already sealed ('' or an envelope) is left as it is, so
   * encrypting stored events again (npm run encrypt-events) changes nothing. `earlier`: the stream's
   * events before this one, asked for only when a field's subject is found there. `keys`: where the
   * keys come from (by default the key store's, made there on first use). Without a promise when
   * the owner and keys are at hand (cached, or made for a new stream): an append seals its events
   * with no turn of the event loop, and no promise per event to collect.
   */
  encryptData(
    stream: string,
    type: string,
    data: Record<string, unknown>,
    earlier: () => Promise<ReadonlyArray<{ type: string; data: unknown }>>,
    keys: StreamKeys = new StoredKeys(this.keys, stream, false),
  ): Record<string, unknown> | Promise<Record<string, unknown>> {
    const fields = this.schema.fieldsOf({ streamId: stream, type, data });
    if (fields.length === 0) return data;
    const bySubject: FieldGroups = new Map();
    const seen = new Set<string>();
    const add = (subjectId: string, path: readonly string[], value: string) => {
      let group = bySubject.get(subjectId);
      if (!group) bySubject.set(subjectId, (group = { paths: [], values: [] }));
      group.paths.push(path);
      group.values.push(value);
    };
    // Fields from `from` on; continues after a promise (an owner or an earlier event to look up).
    const group = (from: number): FieldGroups | Promise<FieldGroups> => {
      for (let i = from; i < fields.length; i++) {
        const field = fields[i];
        const value = getAt(data, field.path);
        if (typeof value !== 'string' || value === '' || isEnvelope(value)) continue;
        const at = field.path.length === 1 ? field.path[0] : field.path.join('\u0000');
        if (seen.has(at)) continue;
        seen.add(at);
        const whose = field.subject;
        if (whose.kind === 'subject') {
          add(whose.subjectId, field.path, value);
          continue;
        }
        const found = whose.kind === 'streamOwner' ? keys.owner() : earlier().then((events) => whose.find(events));
        if (found instanceof Promise)
          return found.then((subjectId) => {
            add(subjectId ?? whose.otherwise, field.path, value);
            return group(i + 1);
          });
        add(found ?? whose.otherwise, field.path, value);
      }
      return bySubject;
    };
    const grouped = group(0);
    return grouped instanceof Promise ? grouped.then((g) => this.sealGroups(data, g, keys)) : this.sealGroups(data, grouped, keys);
  }

  /** Each subject's key (asked for once each), then the fields sealed: without a promise when every key is at hand. */
  private sealGroups(
    data: Record<string, unknown>,
    bySubject: FieldGroups,
    keys: StreamKeys,
  ): Record<string, unknown> | Promise<Record<string, unknown>> {
    if (bySubject.size === 0) return data;
    const found = [...bySubject.keys()].map((subjectId) => keys.keyFor(subjectId));
    if (found.some((key) => key instanceof Promise)) return Promise.all(found).then((all) => this.seal(data, bySubject, all));
    return this.seal(data, bySubject, found as DataKey[]);
  }

  private seal(data: Record<string, unknown>, bySubject: FieldGroups, keys: DataKey[]): Record<string, unknown> {
    let out: unknown = data;
    // One pd2 envelope per event: an event that has one (encrypted before, a field added since) gets pd1s.
    let sealedOne = data[SEALED_FIELDS_KEY] !== undefined;
    let k = 0;
    for (const { paths, values } of bySubject.values()) {
      const { keyId, key } = keys[k++];
      if (!sealedOne && paths.every((path) => path.length > 0 && path.every(isEnvelopePathKey))) {
        out = blankedAt(out as Record<string, unknown>, paths);
        (out as Record<string, unknown>)[SEALED_FIELDS_KEY] = sealEventFields(keyId, key, paths, values);
        sealedOne = true;
      } else paths.forEach((path, i) => (out = setAt(out, path, encryptField(keyId, key, values[i]))));
    }
    return out as Record<string, unknown>;
  }
}

/** An event's personal fields by subject, in the order first met. */
type FieldGroups = Map<string, { paths: (readonly string[])[]; values: string[] }>;

/** Where an append's keys in one stream come from: the key store (StoredKeys), or made here (NewStreamKeys). */
export interface StreamKeys {
  /** The stream's owner (a 'streamOwner' field's subject), null when it has none. */
  owner(): string | null | Promise<string | null>;
  keyFor(subjectId: string): DataKey | Promise<DataKey>;
}

/** The key store's keys, without a promise when cached. */
class StoredKeys implements StreamKeys {
  constructor(
    private readonly keys: CachedDataKeyStore,
    private readonly stream: string,
    private readonly newStream: boolean,
  ) {}

  owner(): string | null | Promise<string | null> {
    return this.keys.cachedOwner(this.stream) ?? this.keys.subjectOfScope(this.stream);
  }

  keyFor(subjectId: string): DataKey | Promise<DataKey> {
    return (
      this.keys.cachedKeyFor(subjectId, this.stream) ??
      this.keys.keyFor(subjectId, this.stream, this.newStream ? { newScope: true } : undefined)
    );
  }
}

/**
 * A new stream's keys, made here for the event store to store with its first events: the first
 * made owns the stream (the scope has no other key, or the store refuses them with DataKeysExist).
 */
class NewStreamKeys implements StreamKeys {
  private readonly made = new Map<string, { key: DataKey; row: NewDataKeyRow }>();

  constructor(
    private readonly keys: CachedDataKeyStore,
    private readonly stream: string,
  ) {}

  owner(): string | null {
    for (const subjectId of this.made.keys()) return subjectId;
    return null;
  }

  keyFor(subjectId: string): DataKey {
    let made = this.made.get(subjectId);
    if (!made) {
      made = this.keys.newKey(subjectId, this.stream);
      if (this.made.size === 0) made.key.ownsScope = true;
      this.made.set(subjectId, made);
    }
    return made.key;
  }

  rows(): NewDataKeyRow[] {
    return [...this.made.values()].map((m) => m.row);
  }

  /** Once the store holds them: cached as keyFor caches the key store's. */
  remember(): void {
    for (const [subjectId, { key }] of this.made) this.keys.remember(subjectId, this.stream, key);
  }
}

/**
 * Decrypts what the inner subscription yields, page by page when it can read in pages: iterating
 * one event at a time, a cold reader fetched each request's key in a query of its own (a rebuild
 * iterates); iterated here through the inner `nextBatch`, a page's missing keys come in one query.
 */
class DecryptingSubscription implements AllSubscription {
  readonly nextBatch?: (max: number) => Promise<RecordedEvent[] | null>;
  /** The inner page read and decrypted: what nextBatch gives, and what iteration reads. */
  private readonly page: ((max: number) => Promise<RecordedEvent[] | null>) | null = null;
  private iterated = false;
  private batched = false;
  private closed = false;

  constructor(
    private readonly inner: AllSubscription,
    private readonly store: EncryptingEventStore,
  ) {
    if (inner.nextBatch) {
      const next = inner.nextBatch.bind(inner);
      const page = async (max: number) => {
        const batch = await next(max);
        return batch && this.store.decryptAll(batch);
      };
      this.page = page;
      this.nextBatch = (max) => {
        if (this.iterated) return Promise.reject(new Error('A subscription is either iterated or read in batches'));
        this.batched = true;
        return page(max);
      };
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return this.inner.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    const read = this.page;
    if (!read) return this.oneByOne();
    if (this.batched) throw new Error('A subscription is either iterated or read in batches');
    if (this.iterated) throw new Error('A subscription can be iterated only once');
    this.iterated = true;
    // The events a page brought and not yet handed on. Ending early (break, return) closes the
    // subscription, as the adapters' own iteration does.
    let page: RecordedEvent[] = [];
    let at = 0;
    const done = { done: true, value: undefined } as const;
    return {
      next: async () => {
        // Closed meanwhile: what is left of the page is not handed on (as the adapters stop after a yield).
        if (this.closed) return done;
        while (at >= page.length) {
          const batch = await read(ITERATION_PAGE);
          if (batch === null) return done;
          page = batch;
          at = 0;
        }
        return { done: false, value: page[at++] };
      },
      return: async () => {
        page = [];
        await this.close();
        return done;
      },
    };
  }

  private async *oneByOne(): AsyncGenerator<RecordedEvent> {
    for await (const event of this.inner) {
      const plain = this.store.decrypt(event);
      yield plain instanceof Promise ? await plain : plain;
    }
  }
}

/**
 * The store beneath the encryption layer (any other store as it is), for a scan that reads no
 * personal field (erasure marks, lifecycle times): it decrypts nothing on the way, and a page is not
 * held up fetching keys for fields nobody reads.
 */
export function withoutDecryption(store: EventStore): EventStore {
  return store instanceof EncryptingEventStore ? store.inner : store;
}

/** Events per page when a subscription is iterated (the SQLite and PostgreSQL adapters' default page). */
const ITERATION_PAGE = 1000;

function unreadable(event: RecordedEvent, error: unknown): Error {
  if (!(error instanceof PersonalDataUnreadable)) return error as Error;
  return new PersonalDataUnreadable(`stream ${event.streamId}, event ${event.id} (${event.type}): ${error.message}`);
}

/**
 * An event's data as it was appended: its pd2 envelope's fields put back in their places (each
 * `erased` when the key is gone), any pd1 envelope opened. Left as it is when a key is not at hand
 * (undefined: the caller fetches it and passes again).
 */
function decryptEventData(data: unknown, keyOf: (keyId: string) => Buffer | null | undefined, erased: string): unknown {
  const opened = decryptData(data, keyOf, erased);
  const sealed = (data as Record<string, unknown>)[SEALED_FIELDS_KEY];
  if (sealed === undefined) return opened;
  if (typeof sealed !== 'string')
    throw new PersonalDataUnreadable(`an event's ${SEALED_FIELDS_KEY} is not a pd2 envelope: the stored data is corrupt`);
  const envelope = parseEventEnvelope(sealed);
  const key = keyOf(envelope.keyId);
  if (key === undefined) return data;
  const values = key === null ? null : openEventEnvelope(envelope, key);
  // A copy without the envelope; each object on a field's path copied once, however many fields it holds.
  const out: Record<string, unknown> = {};
  for (const k in opened as Record<string, unknown>) if (k !== SEALED_FIELDS_KEY) out[k] = (opened as Record<string, unknown>)[k];
  const copied = new Set<unknown>([out]);
  envelope.paths.forEach((path, i) => {
    let at = out;
    for (let d = 0; d < path.length - 1; d++) {
      let next = at[path[d]];
      if (!copied.has(next)) {
        next = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
        copied.add(next);
        at[path[d]] = next;
      }
      at = next as Record<string, unknown>;
    }
    at[path[path.length - 1]] = values ? values[i] : erased;
  });
  return out;
}

/**
 * The data with each envelope decrypted (any depth): `erased` where `keyOf` says the key is gone
 * (null), left as it is where the key is not at hand (undefined: the caller fetches it and passes
 * again). Objects without envelopes are returned as they are (no copy).
 */
function decryptData(value: unknown, keyOf: (keyId: string) => Buffer | null | undefined, erased: string): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ENVELOPE_PREFIX)) return value;
    const parsed = parseEnvelope(value);
    const key = keyOf(parsed.keyId);
    return key === undefined ? value : key === null ? erased : openEnvelope(parsed, key);
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = decryptData(value[i], keyOf, erased);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | null = null;
  for (const k in value) {
    const was = (value as Record<string, unknown>)[k];
    const v = decryptData(was, keyOf, erased);
    if (v !== was) (out ??= { ...(value as Record<string, unknown>) })[k] = v;
  }
  return out ?? value;
}

/**
 * A copy of `data` with '' at each of `paths` (each a string field it has), every object on the
 * paths copied once however many fields it holds (setAt per path copied the event once per field).
 */
function blankedAt(data: Record<string, unknown>, paths: readonly (readonly string[])[]): Record<string, unknown> {
  const out = { ...data };
  const copied = new Set<unknown>([out]);
  for (const path of paths) {
    let at = out;
    for (let d = 0; d < path.length - 1; d++) {
      let next = at[path[d]];
      if (!copied.has(next)) {
        copied.add((next = { ...(next as Record<string, unknown>) }));
        at[path[d]] = next;
      }
      at = next as Record<string, unknown>;
    }
    at[path[path.length - 1]] = '';
  }
  return out;
}

export function getAt(data: unknown, path: readonly string[]): unknown {
  let at = data;
  for (const key of path) {
    if (!at || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** A copy of `data` with the value at `path` replaced, copying only the objects on the path. */
export function setAt(data: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const obj = data as Record<string, unknown>;
  const [head, ...rest] = path;
  return { ...obj, [head]: setAt(obj[head], rest, value) };
}
