/** Words the /alerts page shows for an alert's codes. Pure, so the page, its live rows and tests agree. */
import type { Policy } from '@send/sla';
import { roleName } from './web-words';

/** Why it escalated: the threshold of unanswered attempts, a missed reply deadline, or a promised update missed. */
export function alertReason(reason: string, unansweredCount: number): string {
  switch (reason) {
    case 'repeated_unanswered':
      return `Tried ${unansweredCount} times with no reply`;
    case 'sla_breached':
      return 'Reply deadline missed';
    case 'update_missed':
      return 'Promised update missed';
    case 'ack_timeout':
      return 'Not acknowledged in time';
    case 'still_unanswered':
      return 'Still not answered';
    default:
      return reason;
  }
}

/** "Level 2: SEND service manager", from the policy's chain. */
export function alertLevel(level: number, policy: Pick<Policy, 'escalation'>): string {
  const role = policy.escalation.chain[level - 1]?.role;
  return role ? `Level ${level}: ${roleName(role)}` : `Level ${level}`;
}
