import type { CallOutcome } from '@send/domain';

/** One call of an unmatched number, as the unmatched list shows it. */
export interface UnmatchedCall {
  callId: string;
  startedAt: string;
  outcome: CallOutcome;
  durationSeconds: number;
  /** The council number that was called. */
  to: string;
}

/** GET /api/telephony/unmatched: a number no open case knows, with its unmatched calls, newest first. */
export interface UnmatchedNumber {
  /** E.164, or the raw number the telephony system sent when it is not a phone number (e.g. withheld). */
  number: string;
  numberIsE164: boolean;
  /** The newest call's start: the list's order. */
  lastCallAt: string;
  calls: UnmatchedCall[];
}
