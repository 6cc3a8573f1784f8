'use strict';

/** The message and the measuring loop shared by the ipc probes. */

const { now, msSince, percentile } = require('../measure');

/** A 1 KiB-ish object: a few fields and a string, like a small JSON API payload. */
const message = (seq) => ({ seq, kind: 'echo', at: 1700000000000 + seq, tags: ['a', 'b', 'c'], text: 'x'.repeat(960) });

/**
 * Sequential round trips for latency, then `count` messages with up to 256 in flight for msg/s.
 * @param {{ send: (m: any) => void, onMessage: (fn: Function) => void, offMessage: (fn: Function) => void, message: (seq: number) => any, count: number }} o
 */
async function measure({ send, onMessage, offMessage, message: make, count }) {
  const latencies = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = now();
    await new Promise((resolve) => {
      const fn = () => {
        offMessage(fn);
        resolve();
      };
      onMessage(fn);
      send(make(i));
    });
    if (i >= 200) latencies.push(msSince(t0) * 1000);
  }
  const t0 = now();
  await new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    const WINDOW = 256;
    const fn = () => {
      received++;
      if (received === count) {
        offMessage(fn);
        resolve();
      } else if (sent < count) send(make(sent++));
    };
    onMessage(fn);
    while (sent < Math.min(WINDOW, count)) send(make(sent++));
  });
  const seconds = msSince(t0) / 1000;
  return { messagesPerSecond: count / seconds, latencyUs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) } };
}

module.exports = { message, measure };
