'use strict';

// Both balance modes serve real HTTP on 127.0.0.1 from more than one worker, port 0 included;
// listen errors reach the worker's server. Modelled on Node's test-cluster-http-pipe,
// -net-listen, -eaddrinuse, -bind-twice.
const net = require('node:net');
const { cluster } = require('..');
const { useCluster, once, waitFor, get } = require('./helpers/cluster');

const { fork } = useCluster(cluster, { restart: false });



/** Forks `n` HTTP workers; resolves with them and the port they all listen on. */
async function httpWorkers(n, env = {}) {
  const listening = [];
  const all = new Promise((resolve) => {
    cluster.on('listening', (w, address) => {
      listening.push([w.id, address]);
      if (listening.length === n) resolve();
    });
  });
  const workers = Array.from({ length: n }, () => fork({ MODE: 'http', ...env }));
  await all;
  const ports = new Set(listening.map(([, a]) => a.port));
  expect(ports.size).toBe(1);
  return { workers, port: [...ports][0] };
}

/** Sends requests (new connection each, a few at a time) until every worker has answered. */
async function spread(port, workers) {
  const seen = new Set();
  const want = new Set(workers.map((w) => String(w.pid)));
  for (let round = 0; round < 100 && seen.size < want.size; round++) {
    const bodies = await Promise.all(Array.from({ length: 8 }, () => get(port)));
    for (const b of bodies) seen.add(b);
  }
  return seen;
}

for (const balance of ['reuseport', 'shared']) {
  describe(`balance: '${balance}'`, () => {
    beforeEach(() => cluster.setupPrimary({ balance }));

    test('port 0: every worker ends up on one chosen port and more than one of them serves', async () => {
      const { workers, port } = await httpWorkers(2);
      expect(port).toBeGreaterThan(0);
      const seen = await spread(port, workers);
      expect([...seen].sort()).toEqual(workers.map((w) => String(w.pid)).sort());
    });

    test('a fixed port works, and keep-alive requests are answered', async () => {
      // Find a free port, then let the cluster bind it.
      const probe = net.createServer();
      await new Promise((r) => probe.listen(0, '127.0.0.1', r));
      const free = probe.address().port;
      await new Promise((r) => probe.close(r));
      const { workers, port } = await httpWorkers(2, { PORT: String(free) });
      expect(port).toBe(free);
      const agent = new (require('node:http').Agent)({ keepAlive: true, maxSockets: 2 });
      try {
        const bodies = await Promise.all(Array.from({ length: 20 }, () => get(port, agent)));
        for (const b of bodies) expect(workers.map((w) => String(w.pid))).toContain(b);
      } finally {
        agent.destroy();
      }
    });

    test('a port another process holds gives the worker server EADDRINUSE', async () => {
      const holder = net.createServer();
      await new Promise((r) => holder.listen(0, '127.0.0.1', r));
      try {
        const w = fork({ MODE: 'http', PORT: String(holder.address().port) });
        const [msg] = await once(w, 'message');
        expect(msg.listenError).toMatchObject({ code: 'EADDRINUSE' });
      } finally {
        await new Promise((r) => holder.close(r));
      }
    });
  });
}

test('connections never pass through the primary: it holds no accepted socket', async () => {
  cluster.setupPrimary({ balance: 'shared' });
  const { workers, port } = await httpWorkers(2);
  await spread(port, workers);
  // The primary's fds: no TCP socket connected to the server port (only the listener).
  const fs = require('node:fs');
  const inodes = new Set();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const m = /socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const established = fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 9 && f[1].endsWith(`:${hexPort}`) && f[3] === '01');
  const mine = established.filter((f) => inodes.has(f[9]));
  expect(mine).toEqual([]);
});

test('worker.process.kill and cluster events report a signal exit', async () => {
  const { workers } = await httpWorkers(1);
  const [w] = workers;
  const exit = once(cluster, 'exit');
  w.process.kill('SIGKILL');
  const [worker, code, signal] = await exit;
  expect(worker).toBe(w);
  expect(code).toBeNull();
  expect(signal).toBe('SIGKILL');
  await waitFor(() => w.isDead(), 2000);
});
