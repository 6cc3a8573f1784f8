'use strict';

/**
 * Graceful close of a server a worker got from `cluster.listen`, so that a disconnecting
 * worker (reload, shutdown) fails no request:
 *
 * - the listening socket is closed first (no new connections; in both balance modes the
 *   socket itself lives on in the other workers, so connections waiting in its accept queue
 *   are not lost);
 * - HTTP: a request that arrives (or whose headers are not yet sent) while draining is answered
 *   with `Connection: close`, so the client reconnects (to another worker) for its next request;
 *   a keep-alive connection with no request in flight is ended only after it stayed idle for
 *   `IDLE_GRACE_MS` (ending it at once races with a request the client is sending right now);
 * - `server.close()` of an http.Server would end idle connections at once, so the net.Server
 *   close is called instead.
 * @module native-parallel/lib/cluster/drain
 */

const net = require('node:net');
const { performance } = require('node:perf_hooks');

/** A keep-alive connection idle this long while draining is ended. */
const IDLE_GRACE_MS = 500;
const TICK_MS = 50;

const kActive = Symbol('activeRequests');
const kIdleSince = Symbol('idleSince');

/**
 * Starts tracking a server's connections. Returns `drain(callback)`, which stops accepting and
 * calls back once every connection has ended.
 * @param {net.Server} server
 */
function trackServer(server) {
  const http = typeof (/** @type {any} */ (server).closeIdleConnections) === 'function';
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  /** @type {Set<any>} */
  const responses = new Set();
  let draining = false;

  server.on('connection', (socket) => {
    socket[kActive] = 0;
    socket[kIdleSince] = performance.now();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  if (http) {
    server.prependListener('request', (req, res) => {
      const socket = req.socket;
      socket[kActive] = (socket[kActive] || 0) + 1;
      if (draining && !res.headersSent) res.setHeader('Connection', 'close');
      responses.add(res);
      res.once('close', () => {
        responses.delete(res);
        socket[kActive] -= 1;
        socket[kIdleSince] = performance.now();
      });
    });
  }

  /** @param {() => void} callback */
  function drain(callback) {
    if (draining) return;
    draining = true;
    for (const res of responses) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    let closed = !server.listening;
    let finished = false;
    const check = () => {
      if (finished || !closed || sockets.size > 0) return;
      finished = true;
      clearInterval(timer);
      callback();
    };
    const timer = setInterval(() => {
      if (http) {
        const now = performance.now();
        for (const socket of sockets) {
          if (socket[kActive] === 0 && now - socket[kIdleSince] >= IDLE_GRACE_MS) socket.end();
        }
      }
      check();
    }, TICK_MS);
    if (!closed) {
      net.Server.prototype.close.call(server, () => {
        closed = true;
        check();
      });
    }
    check();
  }

  return { drain, isDraining: () => draining };
}

module.exports = { trackServer, IDLE_GRACE_MS };
