export * from './recipient-directory';
export * from './event-store-user-directory';
