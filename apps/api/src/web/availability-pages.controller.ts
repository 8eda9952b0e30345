import { Body, Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, Clock, type AppConfig } from '@send/platform';
import { UsersRepository, type UserRecord } from '@send/read-models';
import { Public } from '../auth/auth.decorators';
import type { AuthUser } from '../auth/roles';
import { problemOf } from '../common/problem.filter';
import { parseInput } from '../common/zod-body';
import { availabilitySchema } from '../officers/officers.controller';
import { SetAvailabilityCommand, type AvailabilityAnswer } from '../officers/set-availability.handler';
import { dateParts, dayInWords, endOfDay, parseDateParts, startOfDay } from './date-inputs';
import { PageErrorsFilter } from './page-errors.filter';
import { PageRender } from './page-render';
import { formOf } from './request-actions';
import { pageErrors, type PageErrors } from './request-page';
import { WebSession } from './web-session';

const FIELDS = ['awayFrom', 'awayUntil'] as const;
const NAMES = { awayFrom: 'The first day you are away', awayUntil: 'The last day you are away' } as const;

/**
 * An officer's own availability (API.md "Cases and routing"): the days they are away, so routing
 * passes their new requests to the team and shows their open ones as needing cover, and "I'm back".
 * The same command as PUT /api/officers/:id/availability (SetAvailabilityCommand).
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('availability')
export class AvailabilityPagesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly users: UsersRepository,
    private readonly render: PageRender,
    private readonly session: WebSession,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async page(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, (u) => u.role === 'officer');
    const me = await this.users.get(user.id);
    const zone = this.config.policy.calendar.timezone;
    const values = {
      ...prefixed('awayFrom', dateParts(me?.awayFrom ?? null, zone)),
      ...prefixed('awayUntil', dateParts(me?.awayUntil ?? null, zone, true)),
    };
    const done = (request.query as Record<string, unknown>).done;
    return this.show(request, reply, user, me, values, null, 200, done === 'away' || done === 'back' ? done : null);
  }

  @Post()
  async set(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, (u) => u.role === 'officer');
    const form = formOf(body);
    const zone = this.config.policy.calendar.timezone;
    const back = form('back') !== undefined;
    const values: Record<string, string | undefined> = {};
    for (const field of FIELDS) for (const part of ['day', 'month', 'year']) values[`${field}-${part}`] = form(`${field}-${part}`);

    const errors: Array<{ field: string; text: string }> = [];
    const input = { awayFrom: null as string | null, awayUntil: null as string | null };
    if (!back) {
      for (const field of FIELDS) {
        const parsed = parseDateParts(
          { day: values[`${field}-day`], month: values[`${field}-month`], year: values[`${field}-year`] },
          NAMES[field],
        );
        if (parsed === null)
          errors.push({ field: `${field}-day`, text: `Enter ${NAMES[field].charAt(0).toLowerCase()}${NAMES[field].slice(1)}` });
        else if ('error' in parsed) errors.push({ field: `${field}-${parsed.part}`, text: parsed.error });
        else input[field] = field === 'awayFrom' ? startOfDay(parsed.date, zone) : endOfDay(parsed.date, zone);
      }
    }
    let answer: AvailabilityAnswer | null = null;
    if (!errors.length) {
      try {
        answer = await this.commands.execute(new SetAvailabilityCommand(user.id, parseInput(availabilitySchema, input), user, request.id));
      } catch (error) {
        const problem = problemOf(error);
        if (problem?.status !== 400) throw error;
        // The one rule a person can break here: the last day before the first.
        errors.push({ field: 'awayUntil-day', text: 'The last day you are away must be the same as or after the first day' });
      }
    }
    const me = await this.users.get(user.id);
    if (!answer) return this.show(request, reply, user, me, values, pageErrors(errors), 400, null);
    return reply.redirect(`/availability?done=${back ? 'back' : 'away'}`, 303);
  }

  private show(
    request: FastifyRequest,
    reply: FastifyReply,
    user: AuthUser,
    me: UserRecord | null,
    values: Record<string, string | undefined>,
    errors: PageErrors | null,
    status: number,
    done: 'away' | 'back' | null,
  ) {
    const zone = this.config.policy.calendar.timezone;
    const now = this.clock.now();
    const away = me && (me.awayFrom || me.awayUntil) ? { from: me.awayFrom, until: me.awayUntil } : null;
    const awayNow =
      away !== null && (!away.from || Date.parse(away.from) <= now.getTime()) && (!away.until || now.getTime() < Date.parse(away.until));
    return this.render.page(
      request,
      reply,
      'availability/show.njk',
      {
        values,
        errors,
        done,
        away: away
          ? {
              from: away.from ? dayInWords(away.from, zone) : null,
              until: away.until ? dayInWords(away.until, zone, true) : null,
              now: awayNow,
            }
          : null,
      },
      user,
      status,
    );
  }
}

const prefixed = (field: string, parts: { day?: string; month?: string; year?: string }) => ({
  [`${field}-day`]: parts.day,
  [`${field}-month`]: parts.month,
  [`${field}-year`]: parts.year,
});
