import type { AuthUser } from '../auth/roles';
import type { SubmitRequestInput } from './dto/submit-request.dto';

export class SubmitRequestCommand {
  constructor(
    readonly input: SubmitRequestInput,
    readonly actor: AuthUser,
    readonly idempotencyKey: string | undefined,
    readonly correlationId: string,
  ) {}
}
