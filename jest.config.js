'use strict';

const { TEST_KERNELS_ENV } = require('./lib/native');

// Every test process (and the processes tests start) loads the test build of the addon, which
// has the crash-on-purpose kernels; __test__/helpers/global-setup.js builds it when stale.
process.env[TEST_KERNELS_ENV] = '1';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/__test__/**/*.test.js'],
  testTimeout: 60000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/__test__/helpers/global-setup.js',
};
