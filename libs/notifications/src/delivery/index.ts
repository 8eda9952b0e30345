export * from './notification-worker';
