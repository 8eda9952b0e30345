import { Inject, Logger, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { EventStore } from '@send/event-store';
import { APP_CONFIG, EVENT_STORE, type AppConfig } from '@send/platform';
import { CaseAccess } from './case-access';
import { CaseCommands } from './case-commands';
import { CaseImport } from './case-import';
import { CasesController } from './cases.controller';
import { demoCases } from './demo-cases';
import { SyncCaseService } from './sync-case';

/** Enough for ~10,000 import lines with room to spare (the JSON routes keep the adapter's 1 MB). */
export const CSV_BODY_LIMIT = 20 * 1024 * 1024;

/**
 * Cases (shared DESIGN.md, "Cases, routing and scope"): POST /api/cases, the CSV import, reads for
 * staff and contacts, and the demo cases. Imported after AuthModule in AppModule, so with DEMO=true
 * the demo users exist before their cases are seeded (Nest bootstraps modules in import order).
 */
@Module({
  controllers: [CasesController],
  providers: [
    CaseCommands,
    CaseAccess,
    SyncCaseService,
    {
      provide: CaseImport,
      inject: [CaseCommands, EVENT_STORE],
      useFactory: (commands: CaseCommands, store: EventStore) => new CaseImport(commands, store),
    },
  ],
  // The /admin/cases page imports through the same CaseImport as POST /api/cases/import.
  exports: [CaseCommands, CaseImport],
})
export class CasesModule implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Cases');

  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly commands: CaseCommands,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // Routes are registered after module init, so the parser is in place before the first request.
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify && !fastify.hasContentTypeParser('text/csv'))
      fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT }, (_request, body, done) =>
        done(null, body),
      );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.DEMO) return;
    const ctx = { actor: { id: 'system', role: 'system' }, correlationId: 'demo-cases' };
    const outcomes = await Promise.all(demoCases().map((c) => this.commands.run(c, ctx)));
    this.logger.log(`Demo cases ready: ${outcomes.map((o, i) => `${demoCases()[i].caseRef} ${o.outcome}`).join(', ')}`);
  }
}
