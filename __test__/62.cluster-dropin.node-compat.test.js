'use strict';

// The same programs, written for node:cluster, run under node:cluster and under the native
// cluster with only the require line changed; what they print (event order, exitedAfterDisconnect,
// state, API shapes, who served) must be the same.
const { runBoth, freePort, withoutPids } = require('./helpers/compat');

test('events and their order, exitedAfterDisconnect and cluster.workers, for six ways of leaving', async () => {
  const { node, native } = await runBoth('events.js');
  expect(node.code).toBe(0);
  expect(native.stderr).toBe('');
  expect(native.code).toBe(0);
  // The program really exercised what it claims to (not an empty match).
  expect(node.stdout).toContain('-- worker-kill');
  expect(node.stdout).toContain('cluster exit 3 null false/dead/false');
  expect(node.stdout).toContain('setups 6 workers 0');
  expect(native.stdout).toBe(node.stdout);
});

test('the API surface of both sides: Worker, settings, SCHED_*, unbound fork, process.send, NODE_UNIQUE_ID', async () => {
  const { node, native } = await runBoth('api.js');
  expect(node.code).toBe(0);
  expect(native.stderr).toBe('');
  expect(native.code).toBe(0);
  expect(node.stdout).toContain('Worker.call true 5');
  expect(node.stdout).toContain('advanced true v');
  expect(native.stdout).toBe(node.stdout);
});

test("node's fork-per-CPU example: every worker listens on one port and every one answers", async () => {
  const PORT = String(await freePort());
  const { node, native } = await runBoth('classic.js', { PORT });
  expect(node.code).toBe(0);
  expect(native.stderr).toBe('');
  expect(native.code).toBe(0);
  const cpus = require('node:os').availableParallelism();
  expect(native.stdout).toContain(`answered by ${cpus} of ${cpus} workers`);
  const sorted = (t) => withoutPids(t).split('\n').sort();
  expect(sorted(native.stdout)).toEqual(sorted(node.stdout));
});

test.each([
  ['an Express', 'express'],
  ['a Fastify', 'fastify'],
  ['a Koa', 'koa'],
])("%s app: the framework's own listen(port) in two workers, process.send to the primary, both workers serve", async (_, FRAMEWORK) => {
  const PORT = String(await freePort());
  const { node, native } = await runBoth('framework-app.js', { PORT, FRAMEWORK });
  expect(node.code).toBe(0);
  expect(native.stderr).toBe('');
  expect(native.code).toBe(0);
  expect(JSON.parse(native.stdout)).toEqual({ served: 2, agree: true, routes: '/hello' });
  expect(native.stdout).toBe(node.stdout);
});

test("an exception thrown in an 'exit' listener ends the primary, as an uncaught exception", async () => {
  const { node, native } = await runBoth('throws.js');
  expect(node.code).toBe(1);
  expect(native.code).toBe(1);
  for (const r of [node, native]) {
    expect(r.stderr).toContain('Error: thrown in exit listener');
    expect(r.stdout).toBe('primary exits 1');
  }
});

test('an ESM program: import cluster from the module (its default export), both sides', async () => {
  const { node, native } = await runBoth('esm.mjs');
  expect(node.code).toBe(0);
  expect(native.stderr).toBe('');
  expect(native.code).toBe(0);
  expect(node.stdout).toContain('exit 0 null true');
  expect(native.stdout).toBe(node.stdout);
});
