// Filled by its issue (see issues): read-models.
export {};
