'use strict';

/**
 * Jest's globalSetup: makes sure the test build of the addon (with the crash-on-purpose
 * kernels, see lib/native.js) is there and newer than the Rust sources, building it when it is
 * not. `jest.config.js` sets the variable that makes every test process load it.
 */

const { spawnSync } = require('node:child_process');
const path = require('node:path');

module.exports = () => {
  const build = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build.js'), '--test-kernels'], {
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error(`building the test addon failed (${build.status ?? build.signal})`);
};
