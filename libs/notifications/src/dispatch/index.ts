export * from './notification-job';
export * from './load-alert';
export * from './notification-dispatcher';
export * from './pending-deliveries';
export * from './alert-recipients';
export * from './alert-on-append';
