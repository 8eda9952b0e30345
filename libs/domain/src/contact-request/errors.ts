/**
 * Typed domain errors. Each has a stable `code` (for logs, problem details and clients) and the
 * HTTP status the API should map it to (API.md "Errors": 404 unknown, 409 conflict, 422 a valid
 * shape that breaks a rule, 403 not yours).
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: 400 | 403 | 404 | 409 | 422;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command targets a request that was never submitted. */
export class RequestNotFound extends DomainError {
  readonly code = 'request_not_found';
  readonly httpStatus = 404;
  constructor(readonly requestId: string) {
    super(`Contact request ${requestId} does not exist`);
  }
}

/** SubmitRequest on a stream that already holds a request. */
export class RequestAlreadyExists extends DomainError {
  readonly code = 'request_already_exists';
  readonly httpStatus = 409;
  constructor(readonly requestId: string) {
    super(`Contact request ${requestId} already exists`);
  }
}

/** The request is resolved: reopen it before recording attempts, responses, call-backs or assignments. */
export class RequestClosed extends DomainError {
  readonly code = 'request_closed';
  readonly httpStatus = 422;
  constructor(
    readonly requestId: string,
    readonly attempted: string,
  ) {
    super(`Contact request ${requestId} is resolved: ${attempted} is not allowed; reopen it first`);
  }
}

/** ReopenRequest on a request that is not resolved. */
export class RequestNotResolved extends DomainError {
  readonly code = 'request_not_resolved';
  readonly httpStatus = 422;
  constructor(readonly requestId: string) {
    super(`Contact request ${requestId} is not resolved, so it cannot be reopened`);
  }
}

/** The escalation id is not this request's current escalation. */
export class EscalationNotFound extends DomainError {
  readonly code = 'escalation_not_found';
  readonly httpStatus = 404;
  constructor(
    readonly requestId: string,
    readonly escalationId: string,
  ) {
    super(`Contact request ${requestId} has no escalation ${escalationId}`);
  }
}

/** Acknowledging an escalation that an officer response (or the request's resolution) already resolved. */
export class EscalationClosed extends DomainError {
  readonly code = 'escalation_closed';
  readonly httpStatus = 422;
  constructor(
    readonly requestId: string,
    readonly escalationId: string,
  ) {
    super(`Escalation ${escalationId} on contact request ${requestId} is already resolved`);
  }
}

/** The caller's role is below the level the escalation is routed to. */
export class NotRoutedToYou extends DomainError {
  readonly code = 'not_routed_to_you';
  readonly httpStatus = 403;
  constructor(
    readonly escalationId: string,
    readonly role: string,
    readonly notifyRole: string,
  ) {
    super(`Escalation ${escalationId} is routed to ${notifyRole}; ${role} cannot acknowledge it`);
  }
}

/** A command whose content contradicts itself or the stream (e.g. an `at` that is not an instant). */
export class InvalidCommand extends DomainError {
  readonly code = 'invalid_command';
  readonly httpStatus = 400;
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

/** Resolving a request that never had a reply needs a reason from the closed list (withoutReply). */
export class ReplyNeeded extends DomainError {
  readonly code = 'reply_needed';
  readonly httpStatus = 422;
  constructor(readonly requestId: string) {
    super(
      `Contact request ${requestId} never had a reply: record one, or resolve it with withoutReply.reason (withdrawn, duplicate, answered_outside with answeredAt)`,
    );
  }
}

/** A requester may reopen only within the policy's sla.reopenWithin of resolution (staff may any time). */
export class ReopenWindowClosed extends DomainError {
  readonly code = 'reopen_window_closed';
  readonly httpStatus = 422;
  constructor(
    readonly requestId: string,
    readonly closedAt: string,
  ) {
    super(
      `Contact request ${requestId} can no longer be reopened by the family (the window closed at ${closedAt}); a new request, or staff, can take it on`,
    );
  }
}
