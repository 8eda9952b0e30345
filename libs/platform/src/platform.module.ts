import { Global, Inject, Injectable, Module, OnApplicationShutdown, type DynamicModule } from '@nestjs/common';
import Redis from 'ioredis';
import { createEventStore, eventStoreConfig, type EventStore, type EventStoreObserver } from '@send/event-store';
import { APP_CONFIG, type AppConfig } from './config';
import { Clock, SystemClock } from './clock';

export const EVENT_STORE = Symbol('EVENT_STORE');
export const REDIS = Symbol('REDIS');
/** The data key store (@send/event-store `DataKeyStore`, issue 14): whose personal data each stream holds, and its keys. */
export const DATA_KEYS = Symbol('DATA_KEYS');

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
    await this.store.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * What both apps need from the outside world: validated config, the clock, the event store and a
 * Redis connection. Global, so capability modules can inject them without re-importing.
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
        {
          provide: EVENT_STORE,
          useFactory: () => createEventStore(eventStoreConfig(config, observer)),
        },
        {
          provide: REDIS,
          useFactory: () => new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: false }),
        },
        ConnectionCloser,
      ],
      exports: [APP_CONFIG, Clock, EVENT_STORE, REDIS],
    };
  }
}
