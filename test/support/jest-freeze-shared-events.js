// Jest setup (jest.config.js setupFiles): the SQLite store hands every subscription the same event
// objects (its shared tail, ADR 0024), so consumers must not mutate them; frozen here, a consumer that
// does fails its tests instead of corrupting what the other subscriptions see.
'use strict';
process.env.FREEZE_SHARED_EVENTS ??= '1';
