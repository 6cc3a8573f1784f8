'use strict';

// reload() under a bounded loopback load (a few seconds, a few connections) fails no request,
// in both balance modes, with keep-alive connections and with a new connection per request.
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

/** autocannon for `seconds`, `connections` at once; resolves with its result. */
function load(port, { seconds, connections, close }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}/`,
        connections,
        duration: seconds,
        timeout: 5,
        headers: close ? { connection: 'close' } : {},
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** A plain Node client, one new connection per request, `parallel` at a time, for `ms`. */
async function newConnectionLoad(port, { ms, parallel }) {
  const end = Date.now() + ms;
  let ok = 0;
  const failures = [];
  const one = () =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else failures.push(`status ${res.statusCode}`);
          resolve();
        });
      });
      req.on('error', (e) => {
        failures.push(e.code || e.message);
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  return { ok, failures };
}

for (const balance of ['reuseport', 'shared']) {
  describe(`balance: '${balance}'`, () => {
    beforeEach(() => cluster.setupPrimary({ balance }));

    test('reload under keep-alive load: every worker replaced, zero failed requests', async () => {
      const { workers, port } = await start(2);
      const running = load(port, { seconds: 4, connections: 8 });
      await new Promise((r) => setTimeout(r, 800));
      const exits = [];
      cluster.on('exit', (w) => exits.push(w));
      await cluster.reload();
      const result = await running;
      expect(exits.map((w) => w.id).sort()).toEqual(workers.map((w) => w.id).sort());
      for (const w of exits) expect(w.exitedAfterDisconnect).toBe(true);
      const live = Object.values(cluster.workers);
      expect(live.length).toBe(2);
      for (const w of live) expect(workers).not.toContain(w);
      expect(result.requests.total).toBeGreaterThan(100);
      expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, resets: result.resets }).toEqual({
        errors: 0,
        timeouts: 0,
        non2xx: 0,
        resets: 0,
      });
    });

    test('reload under new-connection-per-request load: zero failed requests', async () => {
      const { workers, port } = await start(2);
      const running = newConnectionLoad(port, { ms: 3500, parallel: 6 });
      await new Promise((r) => setTimeout(r, 600));
      await cluster.reload();
      // A second reload right away: the new workers are replaced too.
      await cluster.reload();
      const { ok, failures } = await running;
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(100);
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
