import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { JwtService } from '@nestjs/jwt';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAnswer, ApiJsonBody, ApiProblems } from '../common/openapi';
import { problem, ProblemException } from '../common/problem';
import { parseInput } from '../common/zod-body';
import { AccountsService } from './accounts.service';
import { Public } from './auth.decorators';
import { loginAnswerSchema, loginSchema } from './dto/login.dto';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly jwt: JwtService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password; answers a bearer token' })
  @ApiJsonBody(loginSchema)
  @ApiAnswer(loginAnswerSchema, { description: 'Signed in' })
  @ApiProblems(400, 401, 429)
  async login(@Body() body: unknown, @Req() request: FastifyRequest) {
    const { email, password } = parseInput(loginSchema, body);
    const user = await this.accounts.authenticate(email, password, request.ip);
    if (!user) throw new ProblemException(problem(401, 'invalid-credentials', 'The email or password is not right.'));
    const token = await this.jwt.signAsync({ sub: user.id, email: user.email, name: user.name, role: user.role, teamId: user.teamId });
    return { token, user: { id: user.id, email: user.email, name: user.name, role: user.role, teamId: user.teamId } };
  }
}
