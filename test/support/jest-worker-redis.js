// Jest setup (jest.config.js setupFiles): each Jest worker uses its own throwaway Redis, which
// scripts/test.js starts one of per worker as REDIS_URL_<n>. Specs pick fixed database numbers and
// some empty theirs between tests, so two files running at once must not share a server.
'use strict';
const own = process.env[`REDIS_URL_${process.env.JEST_WORKER_ID}`];
if (own) process.env.REDIS_URL = own;
