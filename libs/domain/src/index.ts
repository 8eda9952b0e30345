// Public API of @send/domain: the ContactRequest decider (pure: no Nest, no IO, no clock).
import { decide } from './contact-request/decider';
import { evolveStored } from './contact-request/fold';
import { initialState } from './contact-request/state';

export * from './contact-request/events';
export * from './contact-request/commands';
export * from './contact-request/errors';
export * from './contact-request/state';
export * from './contact-request/decider';
export * from './contact-request/timers';
export * from './contact-request/upcast';
export * from './contact-request/fold';
export * from './contact-request/view';
export * from './contact-request/routing';

/**
 * The decider as one value, in Emmett's `Decider` shape. Its evolve takes events as stored (any
 * schema version) and upcasts them, so whoever folds a stream through it reads it the same way.
 */
export const contactRequestDecider = { decide, evolve: evolveStored, initialState } as const;

export * from './user-account/user-account';
export * from './user-account/family-notifications';

export * from './case/case';
export * from './case/phone';

export * from './telephony/call';
export * from './personal-data/personal-data';
export * from './personal-data/erasure';
export * from './personal-data/erasure-events';
export * from './personal-data/personal-fields';
