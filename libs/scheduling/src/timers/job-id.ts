/**
 * BullMQ job ids from timer keys. BullMQ refuses custom ids containing ':' unless they split into
 * exactly three parts (its legacy repeatable-job format), and the domain's keys have three to six
 * (`deadline:<requestId>:<clock>[:p<n>]`, `escalation:<requestId>:<escalationId>:<level>:<phase>[:r<n>]`).
 * So every ':' becomes '|' — always, not only when BullMQ would refuse, so one rule gives one id per
 * key. Two keys could only share an id if they differed solely by ':' against '|' inside an id the
 * app made (requestIds are UUIDs; escalation ids derive from attempt ids), which the app never does.
 */
export const jobIdForTimerKey = (key: string): string => key.replaceAll(':', '|');

export const timerKeyForJobId = (jobId: string): string => jobId.replaceAll('|', ':');
