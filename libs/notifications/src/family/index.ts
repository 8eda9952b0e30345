export * from './family-notice';
export * from './family-wording';
export * from './family-route';
export * from './family-notifications';
