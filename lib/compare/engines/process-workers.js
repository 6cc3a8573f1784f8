'use strict';

/**
 * What the two process engines (`cluster`, `native-cluster`) share: worker processes that take
 * one part at a time over IPC. Processes share no memory here, so each part's input travels to
 * its worker (typed arrays over SharedArrayBuffer copied to plain ones first) and the part's
 * output comes back and is copied into place: the honest cost of processes.
 */

const { types } = require('node:util');
const { splitters, runSplit } = require('../split');

/** Copies typed arrays over SharedArrayBuffer (which cannot cross processes) into plain ones. */
function plain(input) {
  if (input === null || typeof input !== 'object') return input;
  const out = {};
  for (const [key, value] of Object.entries(input)) {
    out[key] = ArrayBuffer.isView(value) && types.isSharedArrayBuffer(value.buffer) ? value.slice() : value;
  }
  return out;
}

/**
 * Forks `workers` processes with `fork()` (each a cluster-style Worker: `on('message')`,
 * `once('online' | 'exit')`, `send`, `kill`, `isDead`, `process.pid` or `pid`) and returns the
 * engine instance.
 * @param {number} workers
 * @param {() => any} fork
 */
async function startProcessWorkers(workers, fork) {
  const procs = await Promise.all(
    Array.from({ length: workers }, () => {
      const w = fork();
      return new Promise((resolve, reject) => {
        w.once('online', () => resolve(w));
        w.once('error', reject);
        w.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was online`)));
      });
    }),
  );
  const pending = new Map();
  let nextId = 0;
  const idle = [...procs];
  const queue = [];
  const pump = () => {
    while (idle.length && queue.length) {
      const w = idle.pop();
      const { message, resolve, reject } = queue.shift();
      const done = (settle) => (value) => {
        idle.push(w);
        pump();
        settle(value);
      };
      pending.set(message.id, { resolve: done(resolve), reject: done(reject) });
      w.send(message);
    }
  };
  for (const w of procs) {
    w.on('message', ({ id, result, output, error }) => {
      const task = pending.get(id);
      pending.delete(id);
      if (error) task.reject(new Error(error));
      else task.resolve({ result, output });
    });
  }
  const send = (message) =>
    new Promise((resolve, reject) => {
      queue.push({ message: { id: nextId++, ...message }, resolve, reject });
      pump();
    });
  const runPart = async (kernel, input, part) => {
    const { result, output } = await send({ kernel, input: plain(input), part });
    if (output) splitters[kernel].output(input, part).set(output);
    return result;
  };
  const stopOne = (w) =>
    new Promise((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', resolve);
      w.kill();
    });
  return {
    workers,
    run: (kernel, input) => runSplit(kernel, input, workers, runPart),
    noop: () => send({ kernel: 'noop', input: null, part: null }),
    pids: () => procs.map((w) => w.process?.pid ?? w.pid),
    stop: () => Promise.all(procs.map(stopOne)),
  };
}

module.exports = { startProcessWorkers };
