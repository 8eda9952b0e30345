// @send/scheduling: BullMQ timers kept in step with the event store (DESIGN.md, "Consumers and guarantees").
export * from './bullmq/close-worker';
export * from './timers/job-id';
export * from './timers/logger';
export * from './timers/timer-queue';
export * from './timers/timer-process-manager';
export * from './timers/timer-worker';
export * from './timers/timer-reconciler';
export * from './create-scheduling';
export * from './retention/retention-run';
export * from './retention/retention-job';
export * from './retention/erasure-replay';
