export * from './notification-worker';
export * from './sent-once';
