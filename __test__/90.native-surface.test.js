'use strict';

// The addon's exports are reachable from any JavaScript (require the .node file, or
// lib/native.js), past lib/'s validation. Whatever they are given, they must throw coded
// errors and never abort the process. fixtures/native-surface.js calls each of them with junk
// in a child process; this checks the child lived, exited by itself, and reported no call that
// returned instead of throwing or threw without a code.

const fs = require('node:fs');
const path = require('node:path');
const { startNode } = require('./helpers/node');
const { binaryName } = require('../lib/native');

const root = path.join(__dirname, '..');

test('every native export survives junk and throws coded errors', async () => {
  const r = await startNode(`require('./__test__/fixtures/native-surface.js')`, { timeoutMs: 120000 }).done;
  expect({ code: r.code, signal: r.signal, hung: r.hung }).toEqual({ code: 0, signal: null, hung: false });
  const report = JSON.parse(r.stdout.split('\n').pop());
  expect(report.failures).toEqual([]);
  // Every export, static, method and accessor was called (a new one needs cases).
  expect(report.missing).toEqual([]);
  for (const name of ['NativePool', 'NativeProcessPool', 'NativeCluster', 'NativeSharedMemory', 'NativePool#submit', 'NativeProcessPool#submit', 'NativeCluster.closeFd', 'NativeSharedMemory#byteLength']) {
    expect(report.members).toContain(name);
  }
  expect(report.calls).toBeGreaterThan(500);
});

test('the release binary has no crash-on-purpose kernels', () => {
  // The binary npm publishes (built by `npm install` / `npm run build`), not the test build.
  const file = path.join(root, binaryName());
  expect(fs.existsSync(file)).toBe(true);
  const addon = require(file);
  const names = [...addon.NativePool.kernelNames(), ...addon.NativeProcessPool.kernelNames()];
  expect(names).toContain('mandelbrot');
  expect(names.filter((n) => n.startsWith('__'))).toEqual([]);
});
