import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { z } from 'zod';
import { availabilitySet, foldUserAccount, isAwayAt, userStreamId } from '@send/domain';
import { newEventId, WrongExpectedRevision, type EventStore } from '@send/event-store';
import { Clock, EVENT_STORE } from '@send/platform';
import { UsersRepository } from '@send/read-models';
import { badRequest, forbidden, notFound } from '../common/problem';
import { untilReadModelShows } from '../common/read-your-writes';
import type { AuthUser } from '../auth/roles';
import type { availabilitySchema } from './officers.controller';

export class SetAvailabilityCommand {
  constructor(
    readonly officerId: string,
    readonly input: z.output<typeof availabilitySchema>,
    readonly actor: AuthUser,
    readonly correlationId: string,
  ) {}
}

export interface AvailabilityAnswer {
  officerId: string;
  awayFrom: string | null;
  awayUntil: string | null;
  /** Whether the officer is away at the time of the answer. */
  awayNow: boolean;
}

/**
 * Marks an officer away (or back): the officer themselves, their team manager, or a service-wide
 * manager. Recorded on the officer's own stream; the same command for PUT
 * /api/officers/:id/availability and the /availability page. It answers once the users read model
 * shows the change (at most a second later): routing reads who is away from there, so a manager who
 * sets someone back finds the next new request routed to them, and the page after the post shows it.
 */
@CommandHandler(SetAvailabilityCommand)
export class SetAvailabilityHandler implements ICommandHandler<SetAvailabilityCommand, AvailabilityAnswer> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly users: UsersRepository,
  ) {}

  async execute(command: SetAvailabilityCommand): Promise<AvailabilityAnswer> {
    const answer = await this.record(command);
    await untilReadModelShows(async () => {
      const officer = await this.users.get(answer.officerId);
      return (officer?.awayFrom ?? null) === answer.awayFrom && (officer?.awayUntil ?? null) === answer.awayUntil;
    });
    return answer;
  }

  private async record({ officerId, input, actor, correlationId }: SetAvailabilityCommand): Promise<AvailabilityAnswer> {
    if (actor.role === 'officer' && actor.id !== officerId)
      throw forbidden('Officers set their own availability; their team manager may set it for them.');
    const stream = userStreamId(officerId);
    for (let attempt = 0; ; attempt++) {
      const events = await this.store.read(stream);
      const officer = foldUserAccount(events);
      if (!officer || officer.role !== 'officer') throw notFound(`No officer ${officerId}.`);
      if (actor.role === 'team_manager' && officer.teamId !== actor.teamId)
        throw forbidden(`You manage team ${actor.teamId}; this officer is in team ${officer.teamId}.`);
      const now = this.clock.now();
      let event;
      try {
        event = availabilitySet(officerId, input, actor.id, now);
      } catch (error) {
        const [field, message] = String((error as Error).message).split(': ');
        throw badRequest(`The availability is not valid: ${message}.`, [{ field: field!, message: message! }]);
      }
      const answer = { officerId, awayFrom: event.data.awayFrom, awayUntil: event.data.awayUntil, awayNow: isAwayAt(event.data, now) };
      if (officer.awayFrom === event.data.awayFrom && officer.awayUntil === event.data.awayUntil) return answer; // already so
      try {
        const metadata = { correlationId, causationId: correlationId, actor: { id: actor.id, role: actor.role } };
        await this.store.append(stream, [{ id: newEventId(), ...event, metadata }], { expectedRevision: BigInt(events.length - 1) });
        return answer;
      } catch (error) {
        // Someone else changed the account meanwhile: decide again on what is there now.
        if (!(error instanceof WrongExpectedRevision) || attempt >= 3) throw error;
      }
    }
  }
}
