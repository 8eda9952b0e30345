import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { awaitsFiling, toE164 } from '@send/domain';
import { CasesRepository, TelephonyRepository } from '@send/read-models';
import { notFound } from '../common/problem';
import type { AuthUser } from '../auth/roles';
import { CallCommands } from './call-commands';
import { CallFiling } from './call-filing';
import type { LinkAnswer } from './dto/telephony.dto';

export class LinkNumberCommand {
  constructor(
    /** As the unmatched list names it (E.164, or a raw number); a national form of a listed E.164 number is accepted too. */
    readonly number: string,
    readonly caseRef: string,
    readonly user: AuthUser,
    readonly correlationId: string,
  ) {}
}

/**
 * Staff say whose number it is: each unmatched call of the number gets CallLinked (who, which case)
 * and is filed there as any matched call is, oldest first, so the request's attempts keep the
 * order the family called in. Linking again finds nothing left to link. Like re-routing from triage,
 * the case need not be in the caller's own team: unmatched calls belong to nobody yet.
 */
@CommandHandler(LinkNumberCommand)
export class LinkNumberHandler implements ICommandHandler<LinkNumberCommand, LinkAnswer> {
  constructor(
    private readonly calls: CallCommands,
    private readonly filing: CallFiling,
    private readonly cases: CasesRepository,
    private readonly telephony: TelephonyRepository,
  ) {}

  async execute({ number, caseRef, user, correlationId }: LinkNumberCommand): Promise<LinkAnswer> {
    // A closed case takes no new requests (routing would send one to triage): as for re-routing, 404.
    if ((await this.cases.get(caseRef))?.status !== 'open') throw notFound(`No open case ${caseRef}.`);
    const listed = (await this.telephony.unmatched(number)) ?? (await this.unmatchedAsE164(number));
    if (!listed) throw notFound(`No unmatched calls from ${number}.`);

    const ctx = { actor: { id: user.id, role: user.role }, correlationId };
    const filed: LinkAnswer['filed'] = [];
    for (const { callId } of [...listed.calls].reverse()) {
      const { state } = await this.calls.run(callId, { type: 'LinkCall', callId, caseRef, by: user.id }, ctx);
      if (!awaitsFiling(state)) continue; // answered or filed meanwhile: nothing to do
      const outcome = await this.filing.file(state, user.id, correlationId);
      if (outcome.recorded !== 'unmatched') filed.push({ callId, recorded: outcome.recorded, requestId: outcome.requestId });
    }
    return { number: listed.number, caseRef, filed };
  }

  private async unmatchedAsE164(number: string) {
    const e164 = toE164(number);
    return e164 && e164 !== number ? this.telephony.unmatched(e164) : null;
  }
}
