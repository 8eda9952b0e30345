/** Every Redis key the read models use, in one place, so a rebuild knows what to drop. */
export const READ_MODEL_PREFIX = 'rm:';
export const keys = {
  request: (id: string) => `rm:request:${id}`,
  requestsByRequester: (userId: string) => `rm:requests:requester:${userId}`,
  allRequests: () => 'rm:requests:all',
  referenceSequence: (year: number) => `seq:reference:${year}`,
  checkpoint: (name: string) => `checkpoint:${name}`,
};
