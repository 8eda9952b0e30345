export * from './sqlite-event-store';
export * from './thread-script';
export * from './thread-client';
