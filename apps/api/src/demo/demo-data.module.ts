import { Inject, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { EventStore } from '@send/event-store';
import { APP_CONFIG, Clock, EVENT_STORE, type AppConfig } from '@send/platform';
import { CaseCommands } from '../cases/case-commands';
import { CasesModule } from '../cases/cases.module';
import { ReferenceNumbers } from '../requests/reference-numbers';
import { DemoDataSeeder } from './demo-data-seeder';

/**
 * DEMO=true DEMO_DATA=true: seeds the demo requests at start. Imported after AuthModule in
 * AppModule: Nest runs onApplicationBootstrap module by module, awaiting each, deepest first and
 * otherwise in import order, so the demo users are registered before their requests, and the demo
 * cases (CasesModule, imported here too) before the families' cases and requests.
 */
@Module({ imports: [CasesModule] })
export class DemoDataModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoData');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly cases: CaseCommands,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.DEMO_DATA) return;
    if (!this.config.DEMO) {
      this.logger.warn('DEMO_DATA=true needs DEMO=true (the demo requests belong to the demo users): no demo data seeded');
      return;
    }
    await new DemoDataSeeder({
      store: this.store,
      policy: this.config.policy,
      references: new ReferenceNumbers(this.store),
      cases: this.cases,
      clock: () => this.clock.now(),
      logger: this.logger,
    }).seed();
  }
}
