'use strict';

/**
 * One bounded autocannon load on 127.0.0.1, with keep-alive or a new connection per request,
 * shared by the `http` suite and `--app`.
 * @module native-parallel/lib/compare/autocannon
 */

/**
 * A new connection per request is asked for with `connection: close`. After such a response
 * autocannon writes its next request into the closing socket and queues it; on the new
 * connection it queues the request again, so every later response is timed from a request sent
 * one connection earlier (latencies of hundreds of ms that grow with the run). Clearing the
 * queue when the client reconnects times each response from the request that got it.
 * @param {any} client an autocannon Client, before its first connect
 */
function timeFromOwnRequest(client) {
  const connect = client._connect;
  if (typeof connect !== 'function' || !client.pipelinedRequests) return;
  client._connect = function reconnect() {
    this.pipelinedRequests.clear();
    return connect.call(this);
  };
}

/**
 * @param {{ port: number, path?: string, seconds: number, connections: number, keepAlive: boolean }} o
 * @returns {Promise<{ requestsPerSecond: number, latencyMeanMs: number, latencyP50Ms: number, latencyP99Ms: number,
 *   requests: number, non2xx: number, socketErrors: number, timeouts: number }>}
 */
function load({ port, path = '/', seconds, connections, keepAlive }) {
  const autocannon = require('autocannon');
  return new Promise((resolve, reject) => {
    let instance = null;
    // autocannon stops itself after `seconds`; a run that does not end within a grace period
    // is stopped here (its in-flight requests then time out).
    const guard = setTimeout(() => instance?.stop(), (seconds + 15) * 1000);
    instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${path}`,
        connections,
        duration: seconds,
        ...(keepAlive ? {} : { headers: { connection: 'close' }, setupClient: timeFromOwnRequest }),
      },
      (err, r) => {
        clearTimeout(guard);
        if (err) return reject(err);
        resolve({
          requestsPerSecond: r.requests.total / Math.max(r.duration, 1e-3),
          latencyMeanMs: r.latency.mean,
          latencyP50Ms: r.latency.p50,
          latencyP99Ms: r.latency.p99,
          requests: r.requests.total,
          non2xx: r.non2xx,
          socketErrors: r.errors - r.timeouts,
          timeouts: r.timeouts,
        });
      },
    );
  });
}

module.exports = { load };
