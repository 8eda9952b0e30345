export * from './sqlite-event-store';
export * from './thread-script';
