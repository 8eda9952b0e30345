// Filled by its issue (see issues): notifications.
export {};
