'use strict';

/**
 * One bounded load run against 127.0.0.1, in its own process (the load generator must not share
 * a process, or an event loop, with a cluster primary):
 *
 *   node bench/lib/load.js <port> <connections> <seconds> <close: 0|1>
 *
 * Keep-alive (close=0): autocannon. A new connection per request (close=1): a lean raw-socket
 * client, `connections` loops each doing connect, GET with `Connection: close`, read to EOF
 * (autocannon's latency figures are not meaningful in that mode, and Node's http client would be
 * the bottleneck). Prints one JSON line: req/s, latency percentiles (ms), failures.
 */

const net = require('node:net');

const [port, connections, seconds, close] = process.argv.slice(2).map(Number);

function print(rps, total, p50, p99, failures) {
  process.stdout.write(`${JSON.stringify({ rps, total, p50, p99, failures })}\n`);
}

if (!close) {
  const autocannon = require('autocannon');
  autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds, timeout: 10 }, (err, r) => {
    if (err) throw err;
    print(r.requests.total / (r.duration || seconds), r.requests.total, r.latency.p50, r.latency.p99, r.errors + r.timeouts + r.non2xx);
  });
} else {
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  const latencies = [];
  let failures = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  const one = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      let head = '';
      socket.on('connect', () => socket.end(request));
      socket.on('data', (d) => {
        if (head.length < 12) head += d.toString('latin1', 0, 12);
      });
      socket.on('error', () => {});
      socket.on('close', (hadError) => {
        if (hadError || !head.startsWith('HTTP/1.1 200')) failures++;
        else latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        resolve();
      });
    });
  Promise.all(
    Array.from({ length: connections }, async () => {
      while (process.hrtime.bigint() < end) await one();
    }),
  ).then(() => {
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    latencies.sort((a, b) => a - b);
    const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
    print(latencies.length / elapsed, latencies.length, at(0.5), at(0.99), failures);
  });
}
