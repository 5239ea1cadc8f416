/** Tests run the TypeScript sources through SWC with decorator metadata on (type-graphql needs it). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Starts redis-server for the Redis adapter tests unless REDIS_URL is set.
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
  // Responses the e2e helpers received are checked against the OpenAPI document after each file.
  setupFilesAfterEnv: ['<rootDir>/tests/setup/openapi-conformance.ts'],
  reporters: ['default', '<rootDir>/tests/setup/summary-reporter.js'],
  testTimeout: 30000,
  maxWorkers: 2,
};
