// Public API of @send/domain: the ContactRequest decider (pure: no Nest, no IO, no clock).
import { decide } from './contact-request/decider';
import { evolve, initialState } from './contact-request/state';

export * from './contact-request/events';
export * from './contact-request/commands';
export * from './contact-request/errors';
export * from './contact-request/state';
export * from './contact-request/decider';
export * from './contact-request/timers';
export * from './contact-request/upcast';

/** The decider as one value, in Emmett's `Decider` shape. */
export const contactRequestDecider = { decide, evolve, initialState } as const;

export * from './user-account/user-account';
