import { Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '@send/platform';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { demoUsers } from './demo-users';
import { jwtModuleOptions } from './jwt-options';
import { SessionStanding } from './session-standing';
import { SignInFailures } from './sign-in-limits';
import { TokenVerifier } from './token-verifier';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => jwtModuleOptions(config),
    }),
  ],
  controllers: [AuthController, AccountsController],
  providers: [AccountsService, SessionStanding, SignInFailures, TokenVerifier, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AccountsService, SessionStanding, TokenVerifier],
})
export class AuthModule implements OnApplicationBootstrap {
  constructor(
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.DEMO) await this.accounts.seed(demoUsers(this.config.DEMO_PASSWORD));
  }
}
