// One Jest run for the whole monorepo: unit specs beside the code, server tests under test/.
// ts-jest only transpiles (isolatedModules); `npm test` type-checks the tree with tsc first.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testRegex: '.*\\.(spec|e2e-spec|contract-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json', diagnostics: false }],
  },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  testTimeout: 30000,
  // A Redis of its own for each Jest worker (scripts/test.js starts them).
  setupFiles: ['<rootDir>/test/support/jest-worker-redis.js', '<rootDir>/test/support/jest-freeze-shared-events.js'],
};
