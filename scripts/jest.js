#!/usr/bin/env node
'use strict';

/**
 * Runs Jest with --detectOpenHandles and fails the run when Jest reports an open handle or a
 * test run that would not exit: Jest itself only prints those.
 */

const { spawn } = require('node:child_process');
const path = require('node:path');

const jest = require.resolve('jest/bin/jest');
const args = [jest, '--detectOpenHandles', ...process.argv.slice(2)];
const child = spawn(process.execPath, args, { cwd: path.join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
for (const [from, to] of [
  [child.stdout, process.stdout],
  [child.stderr, process.stderr],
]) {
  from.on('data', (chunk) => {
    log += chunk;
    to.write(chunk);
  });
}
child.on('exit', (code, signal) => {
  const leaks = /Jest has detected the following \d+ open handles?|Jest did not exit one second after/.test(log);
  if (leaks) console.error('\nFAIL: Jest reported open handles (see above); tests must leave nothing running.');
  process.exitCode = code !== 0 || signal ? code || 1 : leaks ? 1 : 0;
});
