'use strict';

// node's test/common/tmpdir, for this package: the directory comes from NODE_TEST_DIR (the runner
// gives each test run one of its own and removes it afterwards), else one under os.tmpdir().
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const tmpPath = path.join(process.env.NODE_TEST_DIR || path.join(os.tmpdir(), 'np-node-compat'), '.tmp.0');

/** Empties the directory (creating it if needed). */
function refresh() {
  fs.rmSync(tmpPath, { recursive: true, force: true });
  fs.mkdirSync(tmpPath, { recursive: true });
}

module.exports = {
  path: tmpPath,
  refresh,
  resolve: (...paths) => path.resolve(tmpPath, ...paths),
};
