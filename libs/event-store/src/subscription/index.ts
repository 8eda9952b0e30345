export * from './checkpoint-store';
export * from './subscription-runner';
export * from './read-all-to-head';
