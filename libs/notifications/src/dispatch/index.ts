export * from './notification-job';
export * from './load-alert';
export * from './notification-dispatcher';
export * from './pending-deliveries';
