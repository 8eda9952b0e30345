import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiAnswer, ApiJsonBody, ApiProblems, ApiSignedIn, apiInput, apiOutput } from '../common/openapi';
import { parseInput } from '../common/zod-body';
import { ACCOUNT_ADMIN_ROLES, AccountsService, NEW_PASSWORD } from './accounts.service';
import { CurrentUser, Roles } from './auth.decorators';
import { forbidden } from '../common/problem';
import { loginAnswerSchema } from './dto/login.dto';
import { STAFF_ROLES, REQUESTER_ROLES, type AuthUser } from './roles';
import { SessionStanding } from './session-standing';

const changePasswordSchema = apiInput(
  'ChangePassword',
  z.object({
    currentPassword: z.string().min(1),
    newPassword: z
      .string()
      .min(NEW_PASSWORD.min, `must be at least ${NEW_PASSWORD.min} characters`)
      .max(NEW_PASSWORD.max, `must be at most ${NEW_PASSWORD.max} characters`),
  }),
);
const disableSchema = apiInput('DisableAccount', z.object({ reason: z.string().trim().min(1, 'say why').max(500) }));
const accountAnswerSchema = apiOutput(
  'AccountStanding',
  z.object({ userId: z.string(), disabled: z.boolean(), sessionsValidFrom: z.string().nullable() }),
  "An account's standing after the change (read back from the users read model).",
);

/**
 * Accounts after registration (issue 13; ADR 0015): a person changes their own password (every other
 * session ends; the answer is a fresh token), and administrators and service-wide managers disable,
 * enable, or end every session of someone's account. Each answers once the change is in force here.
 */
@ApiTags('auth')
@ApiSignedIn()
@Controller('api')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly standing: SessionStanding,
    private readonly jwt: JwtService,
  ) {}

  @Post('auth/password')
  @HttpCode(200)
  @Roles(...REQUESTER_ROLES, ...STAFF_ROLES)
  @ApiOperation({ summary: 'Change your own password (ends your other sessions; answers a new token)' })
  @ApiJsonBody(changePasswordSchema)
  @ApiAnswer(loginAnswerSchema)
  @ApiProblems(400, 401, 422)
  async changePassword(@Body() body: unknown, @CurrentUser() user: AuthUser) {
    const { currentPassword, newPassword } = parseInput(changePasswordSchema, body);
    await this.accounts.changePassword(user.id, currentPassword, newPassword);
    await this.standing.changed(user.id, (s) => !!s.sessionsValidFrom && Date.now() - Date.parse(s.sessionsValidFrom) < 60_000);
    const token = await this.jwt.signAsync({ sub: user.id, email: user.email, name: user.name, role: user.role, teamId: user.teamId });
    return { token, user: { id: user.id, email: user.email, name: user.name, role: user.role, teamId: user.teamId } };
  }

  @Post('users/:id/disable')
  @HttpCode(200)
  @Roles(...ACCOUNT_ADMIN_ROLES)
  @ApiOperation({ summary: "Disable an account: it cannot sign in, and its sessions end (not your own)" })
  @ApiJsonBody(disableSchema)
  @ApiAnswer(accountAnswerSchema)
  @ApiProblems(400, 403, 404, 422)
  async disable(@Param('id') userId: string, @Body() body: unknown, @CurrentUser() user: AuthUser) {
    const { reason } = parseInput(disableSchema, body);
    await this.accounts.disable(userId, reason, user);
    return this.inForce(userId, (s) => s.disabled === true);
  }

  @Post('users/:id/enable')
  @HttpCode(200)
  @Roles(...ACCOUNT_ADMIN_ROLES)
  @ApiOperation({ summary: 'Enable a disabled account (its old sessions stay ended)' })
  @ApiAnswer(accountAnswerSchema)
  @ApiProblems(403, 404)
  async enable(@Param('id') userId: string, @CurrentUser() user: AuthUser) {
    await this.accounts.enable(userId, user);
    return this.inForce(userId, (s) => !s.disabled);
  }

  @Post('users/:id/revoke-sessions')
  @HttpCode(200)
  @Roles(...REQUESTER_ROLES, ...STAFF_ROLES)
  @ApiOperation({ summary: 'Sign an account out everywhere (your own, or anyone\'s for administrators and service-wide managers)' })
  @ApiAnswer(accountAnswerSchema)
  @ApiProblems(403, 404)
  async revokeSessions(@Param('id') userId: string, @CurrentUser() user: AuthUser) {
    if (userId !== user.id && !(ACCOUNT_ADMIN_ROLES as readonly string[]).includes(user.role)) {
      throw forbidden('You may sign out only your own sessions.');
    }
    const before = Date.now();
    await this.accounts.revokeSessions(userId, user);
    return this.inForce(userId, (s) => !!s.sessionsValidFrom && Date.parse(s.sessionsValidFrom) >= before - 1_000);
  }

  private async inForce(userId: string, shows: Parameters<SessionStanding['changed']>[1]) {
    await this.standing.changed(userId, shows);
    const user = await this.standing.read(userId);
    return { userId, disabled: user?.disabled ?? false, sessionsValidFrom: user?.sessionsValidFrom ?? null };
  }
}
