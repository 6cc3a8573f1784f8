'use strict';

// Node's own cluster tests (vendored in node-compat/, MIT), with only their require line pointed
// at this package: the ones that pass under node 20's node:cluster must pass here too.
// `node scripts/node-cluster-tests.js` runs all of them both ways and prints a table.
const { runAll } = require('../scripts/node-cluster-tests');

// The vendored tests that pass under node 20's own node:cluster (the others check fields
// node 20 no longer has, or has not yet: worker.suicide, settings.schedulingPolicy).
const PASSING_ON_NODE = [
  'test-cluster-fork-env.js',
  'test-cluster-net-listen.js',
  'test-cluster-process-disconnect.js',
  'test-cluster-setup-primary-emit.js',
  'test-cluster-worker-constructor.js',
  'test-cluster-worker-destroy.js',
  'test-cluster-worker-events.js',
  'test-cluster-worker-exit.js',
  'test-cluster-worker-isconnected.js',
];

let results;
beforeAll(async () => {
  results = await runAll();
}, 120000);

test('the vendored tests that pass under node:cluster are the expected ones', () => {
  expect(results.filter((r) => r.node.ok).map((r) => r.name)).toEqual(PASSING_ON_NODE);
});

test.each(PASSING_ON_NODE)('%s passes with require("native-parallel/cluster")', (name) => {
  const r = results.find((x) => x.name === name);
  if (!r.native.ok) throw new Error(`${name} failed under the native cluster:\n${r.native.output}`);
  expect(r.native.ok).toBe(true);
});

test('the ones node 20 fails, the native cluster fails the same way (same first assertion)', () => {
  for (const r of results.filter((x) => !x.node.ok)) {
    const firstLine = (o) => o.split('\n').find((l) => /expected|FAIL/.test(l));
    expect([r.name, firstLine(r.native.output)]).toEqual([r.name, firstLine(r.node.output)]);
  }
});
