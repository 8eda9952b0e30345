import type { Page, PageRequest } from '@send/read-models';
import { badRequest, forbidden } from '../common/problem';
import { parseInput } from '../common/zod-body';
import type { AuthUser } from '../auth/roles';
import type { AccessLogEntry } from './access-log.port';
import type { AccessLog } from './access-log.service';
import { accessLogQuerySchema } from './dto/access-log.dto';

/**
 * A page of the access log for this reader and these filters (GET /api/access-log and the
 * /access-log page alike): the filters parsed (400 naming the field), a team manager pinned to their
 * team (ADR 0014), newest first.
 */
export async function accessLogPageFor(log: AccessLog, user: AuthUser, query: unknown, page: PageRequest): Promise<Page<AccessLogEntry>> {
  const { caseRef, userId, from, to } = parseInput(accessLogQuerySchema, query, 'query');
  // The cursor's id is a read's sequence number and an item's index in it (`seq.item`; a plain `seq`
  // from before 2026-12-04): any other (well-formed) cursor came from another list.
  if (page.after && !/^\d+(\.\d+)?$/.test(page.after.id))
    throw badRequest('The cursor is not one this list gave out.', [
      { field: 'cursor', message: 'use the Link header of the previous page' },
    ]);
  return log.query(
    {
      caseRef,
      userId,
      from: from === undefined ? undefined : new Date(from),
      to: to === undefined ? undefined : new Date(to),
      teamId: teamScopeOf(user),
    },
    page,
  );
}

/** Team managers read their team's part of the log (reads of requests and cases routed to it); service-wide roles all of it. */
function teamScopeOf(user: AuthUser): string | undefined {
  if (user.role !== 'team_manager') return undefined;
  if (user.teamId === null) throw forbidden('A team manager with no team has no part of the access log.');
  return user.teamId;
}
