import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { accessLogPathOf, AppMetrics, type AppConfig } from '@send/platform';
import { AccessLogController } from './access-log.controller';
import { ACCESS_LOG_STORE } from './access-log.port';
import { AccessLog } from './access-log.service';
import { SqliteAccessLogStore } from './sqlite-access-log-store';

/**
 * The access log (ADR 0014): AccessLog for the query handlers and controllers that record staff
 * reads (global, so they inject it without importing this module), GET /api/access-log, and its
 * store: SQLite at ACCESS_LOG_PATH in the embedded default, written on a thread of its own.
 */
@Global()
@Module({})
export class AccessLogModule {
  static forRoot(config: AppConfig, metrics: AppMetrics): DynamicModule {
    return {
      module: AccessLogModule,
      controllers: [AccessLogController],
      providers: [
        { provide: AppMetrics, useValue: metrics },
        {
          provide: ACCESS_LOG_STORE,
          useFactory: () => {
            const path = accessLogPathOf(config);
            // Its writes on a thread of their own unless SQLITE_WRITER=inline (':memory:' is inline only).
            const store = new SqliteAccessLogStore(path, { writer: path === ':memory:' ? 'inline' : config.SQLITE_WRITER });
            if (store.migratedRows > 0)
              new Logger('AccessLog').log(`Moved ${store.migratedRows} entries of ${path} to one row a read (ADR 0014, 2026-12-04)`);
            return store;
          },
        },
        AccessLog,
      ],
      exports: [AccessLog],
    };
  }
}
