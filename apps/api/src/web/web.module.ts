import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '@send/platform';
import { AlertsModule } from '../alerts/alerts.module';
import { AuthModule } from '../auth/auth.module';
import { CasesModule } from '../cases/cases.module';
import { jwtModuleOptions } from '../auth/jwt-options';
import { AccessLogPagesController } from './access-log-pages.controller';
import { AdminPagesController } from './admin-pages.controller';
import { AlertsPagesController } from './alerts-pages.controller';
import { DashboardPagesController } from './dashboard-pages.controller';
import { AvailabilityPagesController } from './availability-pages.controller';
import { OidcController } from './oidc/oidc.controller';
import { OidcSignIn } from './oidc/oidc-sign-in';
import { OidcUsers } from './oidc/oidc-users';
import { PageRender } from './page-render';
import { PublicPagesController } from './public-pages.controller';
import { QueuePagesController } from './queue-pages.controller';
import { RequestActionPagesController } from './request-action-pages.controller';
import { RequestActions } from './request-actions';
import { RequestPage } from './request-page';
import { RequestPagesController } from './request-pages.controller';
import { WebSession } from './web-session';

/** The GOV.UK pages (ADR 0010): thin controllers over the API's command and query handlers. */
@Module({
  imports: [
    AuthModule,
    AlertsModule,
    CasesModule,
    // The session is the API's token in a cookie: the same key and options (JWT_SECRET, JWT_TTL).
    JwtModule.registerAsync({ inject: [APP_CONFIG], useFactory: (config: AppConfig) => jwtModuleOptions(config) }),
  ],
  controllers: [
    PublicPagesController,
    RequestPagesController,
    RequestActionPagesController,
    QueuePagesController,
    AvailabilityPagesController,
    AlertsPagesController,
    DashboardPagesController,
    AdminPagesController,
    OidcController,
    AccessLogPagesController,
  ],
  providers: [PageRender, WebSession, RequestPage, RequestActions, OidcSignIn, OidcUsers],
})
export class WebModule {}
