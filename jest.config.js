// ESM project (@kubernetes/client-node 1.x is ESM-only): ts-jest in ESM mode, run with
// --experimental-vm-modules (set by `npm test`).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  // Stops the local Kubernetes cluster if this run started it (a hand-started one, or another
  // jest run's, is kept).
  globalSetup: '<rootDir>/test/support/kubernetes-setup.js',
  globalTeardown: '<rootDir>/test/support/kubernetes-teardown.js',
  // Only code: .data holds etcd's *.snap files, which jest would take for obsolete snapshots.
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120_000,
  // Temporal servers and moto are real processes: a few test files at a time on two cores.
  maxWorkers: 2,
};
