export * from './notification-job';
export * from './load-alert';
export * from './notification-dispatcher';
