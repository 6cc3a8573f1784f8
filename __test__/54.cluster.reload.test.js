'use strict';

// reload() under a bounded loopback load (a few connections, a few hundred requests) fails no
// request, in both balance modes, with keep-alive connections and with a new connection per
// request. The load is measured in responses, not in seconds, so a busy machine only makes the
// test slower.
const http = require('node:http');
const autocannon = require('autocannon');
const { cluster } = require('..');
const { useCluster, once } = require('./helpers/cluster');

useCluster(cluster, { restart: {}, shutdownTimeoutMs: 10000 });



async function start(n) {
  let port;
  const ready = new Promise((resolve) => {
    let count = 0;
    cluster.on('listening', (w, address) => {
      port = address.port;
      if (++count === n) resolve();
    });
  });
  // A few ms per request, so reloads always find requests in flight.
  const workers = Array.from({ length: n }, () => cluster.fork({ MODE: 'http', DELAY_MS: '2' }));
  await ready;
  cluster.removeAllListeners('listening');
  return { workers, port };
}

/**
 * Counts responses; `after(n)` resolves once `n` more have come (load is measured in requests,
 * never in time: on a busy machine a few seconds may hold only a handful of them).
 */
class Counter {
  count = 0;
  #waiters = [];

  add() {
    this.count++;
    this.#waiters = this.#waiters.filter(([at, resolve]) => (this.count >= at ? (resolve(), false) : true));
  }

  after(n) {
    return new Promise((resolve) => this.#waiters.push([this.count + n, resolve]));
  }
}

/**
 * autocannon (keep-alive), `connections` at once, until `stop()`; `done` resolves with its
 * result. `duration` only bounds a run whose stop never comes.
 */
function load(port, { connections }) {
  const counter = new Counter();
  let instance;
  const done = new Promise((resolve, reject) => {
    instance = autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: 60, timeout: 5 }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
  instance.on('response', () => counter.add());
  return { counter, done, stop: () => instance.stop() };
}

/**
 * A plain Node client, one new connection per request, `parallel` at a time, until `stop()`;
 * `done` resolves with { ok, failures }.
 */
function newConnectionLoad(port, { parallel }) {
  const counter = new Counter();
  const failures = [];
  let stopped = false;
  const one = () =>
    new Promise((resolve) => {
      const settle = () => resolve();
      const req = http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) counter.add();
          else failures.push(`status ${res.statusCode}`);
          settle();
        });
      });
      req.on('error', (e) => {
        failures.push(e.code || e.message);
        settle();
      });
    });
  const done = Promise.all(
    Array.from({ length: parallel }, async () => {
      while (!stopped) await one();
    }),
  ).then(() => ({ ok: counter.count, failures }));
  return { counter, done, stop: () => (stopped = true) };
}

for (const balance of ['reuseport', 'shared']) {
  describe(`balance: '${balance}'`, () => {
    beforeEach(() => cluster.setupPrimary({ balance }));

    test('reload under keep-alive load: every worker replaced, zero failed requests', async () => {
      const { workers, port } = await start(2);
      const running = load(port, { connections: 8 });
      // Reload once requests are flowing, and stop only once more came after it.
      await running.counter.after(50);
      const exits = [];
      cluster.on('exit', (w) => exits.push(w));
      await cluster.reload();
      await running.counter.after(50);
      running.stop();
      const result = await running.done;
      expect(exits.map((w) => w.id).sort()).toEqual(workers.map((w) => w.id).sort());
      for (const w of exits) expect(w.exitedAfterDisconnect).toBe(true);
      const live = Object.values(cluster.workers);
      expect(live.length).toBe(2);
      for (const w of live) expect(workers).not.toContain(w);
      expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, resets: result.resets }).toEqual({
        errors: 0,
        timeouts: 0,
        non2xx: 0,
        resets: 0,
      });
    });

    test('reload under new-connection-per-request load: zero failed requests', async () => {
      const { workers, port } = await start(2);
      const running = newConnectionLoad(port, { parallel: 6 });
      // Reload once requests are flowing (every client lane always has one under way), and stop
      // only once more came after the reloads.
      await running.counter.after(30);
      await cluster.reload();
      // A second reload right away: the new workers are replaced too.
      await cluster.reload();
      await running.counter.after(30);
      running.stop();
      const { failures } = await running.done;
      expect(failures).toEqual([]);
      const live = Object.values(cluster.workers);
      expect(live.length).toBe(2);
      for (const w of live) expect(workers).not.toContain(w);
    });
  });
}

test('port 0 stays the same port through a reload and a later restart', async () => {
  cluster.setupPrimary({ balance: 'reuseport', restart: { maxRestarts: 2, windowMs: 60000, backoffMs: 10 } });
  const { port } = await start(2);
  await cluster.reload();
  const [first, second] = Object.values(cluster.workers);
  // One worker leaves for good; a new fork must still join the same port.
  first.kill();
  await once(first, 'exit');
  const joined = once(cluster, 'listening');
  cluster.fork({ MODE: 'http' });
  expect((await joined)[1].port).toBe(port);
  // And a crashed worker comes back on it too.
  const relistened = once(cluster, 'listening');
  process.kill(second.pid, 'SIGKILL');
  const [worker, address] = await relistened;
  expect(worker).not.toBe(second);
  expect(address.port).toBe(port);
});

test('reload rejects when a new worker dies before listening, and the old one keeps serving', async () => {
  const { workers, port } = await start(1);
  // The next fork of this slot crashes at once: make every new process fail.
  cluster.setupPrimary({ execArgv: ['-e', 'process.exit(5)'] });
  await expect(cluster.reload()).rejects.toMatchObject({ code: 'ERR_WORKER_EXITED' });
  expect(Object.values(cluster.workers)).toEqual(workers);
  const res = await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, agent: false }, resolve).on('error', reject));
  res.resume();
  expect(res.statusCode).toBe(200);
  cluster.setupPrimary({ execArgv: [] });
});

test('concurrent reload() calls share one run; a worker with no server is replaced once online', async () => {
  const w = cluster.fork();
  await once(w, 'online');
  const a = cluster.reload();
  const b = cluster.reload();
  expect(b).toBe(a);
  await a;
  expect(w.isDead()).toBe(true);
  expect(Object.keys(cluster.workers).length).toBe(1);
});
