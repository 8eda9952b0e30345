/*
 * A LiveDashboardThread's script for tests (the api's is its built main.js): TypeScript sources run
 * through register-ts in the thread, on the Redis database workerData names, with fastPolicy.
 */
'use strict';
require('../../../event-store/src/testing/register-ts.js');
require('./live-dashboard-thread-serve.ts');
