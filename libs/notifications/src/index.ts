// @send/notifications: manager alerts for escalations and missed deadlines, by email (SMTP or
// GOV.UK Notify), signed webhook and in-app live events. See README.md.
export * from './config';
export * from './templates';
export * from './recipients';
export * from './channels';
export * from './dispatch';
export * from './delivery';
export * from './create-notifications';
export * from './family';
export * from './alert-trace';
