import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '@send/platform';
import { AuthModule } from '../auth/auth.module';
import { jwtModuleOptions } from '../auth/jwt-options';
import { OidcController } from './oidc/oidc.controller';
import { OidcSignIn } from './oidc/oidc-sign-in';
import { OidcUsers } from './oidc/oidc-users';
import { PageRender } from './page-render';
import { PublicPagesController } from './public-pages.controller';
import { RequestPagesController } from './request-pages.controller';
import { WebSession } from './web-session';

/** The GOV.UK pages (ADR 0010): thin controllers over the API's command and query handlers. */
@Module({
  imports: [
    AuthModule,
    // The session is the API's token in a cookie: the same key and options (JWT_SECRET, JWT_TTL).
    JwtModule.registerAsync({ inject: [APP_CONFIG], useFactory: (config: AppConfig) => jwtModuleOptions(config) }),
  ],
  controllers: [PublicPagesController, RequestPagesController, OidcController],
  providers: [PageRender, WebSession, OidcSignIn, OidcUsers],
})
export class WebModule {}
