export * from './recipient-directory';
export * from './read-model-recipient-directory';
