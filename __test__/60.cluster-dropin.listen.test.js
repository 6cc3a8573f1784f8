'use strict';

// Workers written for node:cluster: their own server.listen() (net, http, https, tls, http2),
// dgram bind, exclusive listens, pipes, port 0, server.close(), and handles sent with a message.
// Modelled on node's test-cluster-net-listen, -shared-handle-bind-error, -bind-privileged-port,
// -dgram-1, -server-restart-none, -send-handle-twice.
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const http2 = require('node:http2');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const dgram = require('node:dgram');
const tls = require('node:tls');
const { cluster } = require('..');
const { useCluster, once } = require('./helpers/cluster');
const { freePort } = require('./helpers/compat');

const DROPIN = path.join(__dirname, 'fixtures', 'cluster', 'dropin-worker.js');
const { fork } = useCluster(cluster, { exec: DROPIN, restart: false });

/** The next message from `w` for which `pick` is truthy. */
function next(w, pick = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message')), 20000);
    const on = (m) => {
      if (!pick(m)) return;
      clearTimeout(timer);
      w.off('message', on);
      resolve(m);
    };
    w.on('message', on);
  });
}

/** `n` workers of `mode`; resolves with them and their listening reports. */
async function workers(n, env) {
  const ws = Array.from({ length: n }, () => fork(env));
  const reports = await Promise.all(ws.map((w) => next(w, (m) => m.listening || m.error)));
  return { ws, reports };
}

/** Asks `get()` until every worker pid in `ws` answered (bounded). */
async function everyWorkerAnswers(ws, get) {
  const want = new Set(ws.map((w) => String(w.process.pid)));
  const seen = new Set();
  for (let round = 0; round < 100 && seen.size < want.size; round++) {
    for (const body of await Promise.all(Array.from({ length: 4 }, get))) seen.add(String(body));
  }
  return [...seen].sort();
}

const readAll = (socket) =>
  new Promise((resolve, reject) => {
    let body = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (body += d));
    socket.on('end', () => resolve(body));
    socket.on('error', reject);
  });

const clients = {
  net: (port) => readAll(net.connect(port, '127.0.0.1')),
  http: (port) =>
    new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, agent: false }, (res) => resolve(readAll(res))).on('error', reject)),
  https: (port) =>
    new Promise((resolve, reject) =>
      https.get({ host: '127.0.0.1', port, agent: false, rejectUnauthorized: false }, (res) => resolve(readAll(res))).on('error', reject),
    ),
  tls: (port) => readAll(tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })),
  http2: (port) =>
    new Promise((resolve, reject) => {
      const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
      session.on('error', reject);
      const req = session.request({ ':path': '/' });
      readAll(req).then((body) => {
        session.close();
        resolve(body);
      }, reject);
      req.end();
    }),
};

describe.each(['reuseport', 'shared'])("balance '%s'", (balance) => {
  beforeEach(() => cluster.setupPrimary({ balance }));

  test.each(Object.keys(clients))('%s: server.listen(port) in two workers, both serve on one port', async (mode) => {
    const PORT = String(await freePort());
    const { ws, reports } = await workers(2, { MODE: mode, PORT });
    for (const r of reports) expect(r.listening).toMatchObject({ address: '127.0.0.1', port: Number(PORT) });
    const seen = await everyWorkerAnswers(ws, () => clients[mode](Number(PORT)));
    expect(seen).toEqual(ws.map((w) => String(w.process.pid)).sort());
  });
});

test("port 0: one port for every worker, and cluster 'listening' gives node's address info", async () => {
  const events = [];
  const both = new Promise((resolve) => {
    cluster.on('listening', (w, address) => {
      events.push(address);
      if (events.length === 2) resolve();
    });
  });
  const { ws, reports } = await workers(2, { MODE: 'http', PORT: '0' });
  await both;
  const port = reports[0].listening.port;
  expect(port).toBeGreaterThan(0);
  expect(reports[1].listening.port).toBe(port);
  expect(events).toEqual([
    { address: '127.0.0.1', port, addressType: 4, fd: undefined },
    { address: '127.0.0.1', port, addressType: 4, fd: undefined },
  ]);
  expect(await everyWorkerAnswers(ws, () => clients.http(port))).toHaveLength(2);
});

test('two servers on port 0 in one worker get two ports, as in node:cluster', async () => {
  const w = fork({ MODE: 'two-on-zero' });
  const { ports } = await next(w, (m) => m.ports);
  expect(ports[0]).toBeGreaterThan(0);
  expect(ports[1]).toBeGreaterThan(0);
  expect(ports[0]).not.toBe(ports[1]);
});

test('exclusive: true gets a socket of its own: a second worker on that port fails with EADDRINUSE', async () => {
  // As in node:cluster, an exclusive server is the worker's own: disconnect does not close it.
  cluster.setupPrimary({ shutdownTimeoutMs: 200 });
  const PORT = String(await freePort());
  const first = fork({ MODE: 'exclusive', PORT });
  expect((await next(first, (m) => m.listening || m.error)).listening).toMatchObject({ port: Number(PORT) });
  const second = fork({ MODE: 'exclusive', PORT });
  expect((await next(second, (m) => m.listening || m.error)).error).toMatchObject({ code: 'EADDRINUSE' });
});

test('a port another process holds gives the worker server EADDRINUSE (syscall bind)', async () => {
  const holder = net.createServer();
  await new Promise((r) => holder.listen(0, '127.0.0.1', r));
  try {
    const w = fork({ MODE: 'net', PORT: String(holder.address().port) });
    expect((await next(w, (m) => m.error || m.listening)).error).toEqual({ code: 'EADDRINUSE', syscall: 'bind' });
  } finally {
    await new Promise((r) => holder.close(r));
  }
});

test('a pipe listen is left alone: each worker listens on its own path', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'np-pipe-'));
  try {
    const { ws, reports } = await workers(2, { MODE: 'pipe', PIPE_DIR: dir });
    for (const [i, r] of reports.entries()) {
      expect(r.listening).toBe(path.join(dir, `w${ws[i].id}.sock`));
      expect(await readAll(net.connect(r.listening))).toBe(String(ws[i].process.pid));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('server.close() in a worker takes it out of the balance; the other worker serves every request', async () => {
  const PORT = String(await freePort());
  const { ws } = await workers(2, { MODE: 'net', PORT });
  ws[0].send('close');
  await next(ws[0], (m) => m === 'closed');
  const bodies = await Promise.all(Array.from({ length: 20 }, () => clients.net(Number(PORT))));
  expect(new Set(bodies)).toEqual(new Set([String(ws[1].process.pid)]));
});

test('dgram: workers binding one UDP port share the primary socket, as node:cluster does', async () => {
  const PORT = String(await freePort());
  const { ws, reports } = await workers(2, { MODE: 'udp', PORT });
  for (const r of reports) expect(r.listening).toMatchObject({ port: Number(PORT) });
  const client = dgram.createSocket('udp4');
  try {
    await new Promise((r) => client.bind(0, '127.0.0.1', r));
    const answers = new Set();
    client.on('message', (m) => answers.add(String(m)));
    client.send('ping', Number(PORT), '127.0.0.1');
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no UDP answer')), 10000);
      client.once('message', () => {
        clearTimeout(t);
        resolve();
      });
    });
    expect(ws.map((w) => String(w.process.pid))).toContain([...answers][0]);
  } finally {
    client.close();
  }
});

test('worker.send(message, socket): the worker gets a net.Socket and answers on it', async () => {
  const w = fork({ MODE: 'none' });
  await once(w, 'online');
  const server = net.createServer((socket) => w.send('socket', socket));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const body = await readAll(net.connect(server.address().port, '127.0.0.1'));
    expect(body).toBe(`socket handled by ${w.process.pid}`);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('worker.send(message, server): the worker accepts on the primary server', async () => {
  const w = fork({ MODE: 'none' });
  await once(w, 'online');
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  w.send('server', server);
  expect(await next(w, (m) => m.gotServer)).toEqual({ gotServer: port });
  // The primary stops accepting; the worker answers.
  await new Promise((r) => server.close(r));
  expect(await clients.net(port)).toBe(`server handled by ${w.process.pid}`);
});
