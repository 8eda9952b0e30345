// Filled by its issue (see issues): scheduling.
export {};
