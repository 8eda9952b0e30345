import { Inject, Injectable } from '@nestjs/common';
import type { CaseContactInput } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { problem, ProblemException } from '../common/problem';
import { CaseCommands, type CaseCommandContext, type CaseCommandResult } from './case-commands';
import { CasePeople } from './case-people';
import type { SyncCaseBody } from './dto/case.dto';

/**
 * POST /api/cases: the body as a SyncCase. The case officer must be a registered officer in a team
 * (422 otherwise, as assigning to a non-officer is); a contact with an email gets the portal account
 * registered with it when the body names none.
 */
@Injectable()
export class SyncCaseService {
  constructor(
    private readonly commands: CaseCommands,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async sync(body: SyncCaseBody, ctx: CaseCommandContext): Promise<CaseCommandResult> {
    const people = new CasePeople(this.store);
    const officer = body.caseOfficerId ? await people.officerById(body.caseOfficerId) : await people.officerByEmail(body.caseOfficerEmail!);
    if (!officer) {
      const field = body.caseOfficerId ? 'caseOfficerId' : 'caseOfficerEmail';
      throw new ProblemException(
        problem(422, 'not-an-officer', `${body.caseOfficerId ?? body.caseOfficerEmail} is not a registered officer in a team.`, {
          errors: [{ field, message: 'is not a registered officer in a team' }],
        }),
      );
    }
    const contacts: CaseContactInput[] = [];
    for (const c of body.contacts) {
      const userId = c.userId ?? (c.email ? await people.portalUserId(c.email) : null);
      contacts.push({ ...c, ...(userId ? { userId } : {}) });
    }
    return this.commands.run(
      { type: 'SyncCase', caseRef: body.caseRef, childName: body.childName, teamId: body.teamId, caseOfficerId: officer.userId, contacts },
      ctx,
    );
  }
}
