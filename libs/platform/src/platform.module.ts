import { Global, Inject, Injectable, Module, OnApplicationShutdown, type DynamicModule } from '@nestjs/common';
import Redis from 'ioredis';
import type { EventStore, EventStoreObserver } from '@send/event-store';
import { APP_CONFIG, type AppConfig } from './config';
import { Clock, SystemClock } from './clock';
import { DATA_KEYS, createStores, type Stores } from './personal-data';

export const EVENT_STORE = Symbol('EVENT_STORE');
/** The event store and its data keys, made together (EVENT_STORE and DATA_KEYS are read from it). */
const STORES = Symbol('STORES');
export const REDIS = Symbol('REDIS');

/**
 * Closes the shared connections when Nest shuts down (Ctrl-C, SIGTERM). Consumers stop in
 * beforeApplicationShutdown, which Nest runs for every module first, so nothing still uses them.
 */
@Injectable()
class ConnectionCloser implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // Closes the data keys too (the encrypting store owns them).
    await this.store.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * What both apps need from the outside world: validated config, the clock, the event store (with
 * personal data encrypted), its data keys and a Redis connection. Global, so capability modules can inject them without re-importing.
 */
@Global()
@Module({})
export class PlatformModule {
  /** `eventStoreObserver`: told about each group commit of the embedded store (the app's metrics). */
  static forRoot(config: AppConfig, options: { eventStoreObserver?: EventStoreObserver } = {}): DynamicModule {
    const observer = options.eventStoreObserver;
    return {
      module: PlatformModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: Clock, useClass: SystemClock },
        { provide: STORES, useFactory: (): Stores => createStores(config, observer) },
        { provide: EVENT_STORE, useFactory: (stores: Stores) => stores.store, inject: [STORES] },
        { provide: DATA_KEYS, useFactory: (stores: Stores) => stores.dataKeys, inject: [STORES] },
        {
          provide: REDIS,
          useFactory: () => new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: false }),
        },
        ConnectionCloser,
      ],
      exports: [APP_CONFIG, Clock, EVENT_STORE, DATA_KEYS, REDIS],
    };
  }
}
