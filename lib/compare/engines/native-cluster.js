'use strict';

/**
 * `native-cluster`: this package's cluster (workers forked from Rust) running the JS reference.
 * Like the `cluster` engine, processes share no memory here: each part's input travels to its
 * worker and the part's output comes back over the native IPC channel (v8 serialization).
 */

const { getCluster } = require('../../cluster');
const path = require('node:path');
const { types } = require('node:util');
const { splitters, runSplit } = require('../split');

const WORKER = path.join(__dirname, '..', 'native-cluster-worker.js');

/** Copies typed arrays over SharedArrayBuffer (which cannot cross processes) into plain ones. */
function plain(input) {
  if (input === null || typeof input !== 'object') return input;
  const out = {};
  for (const [key, value] of Object.entries(input)) {
    out[key] = ArrayBuffer.isView(value) && types.isSharedArrayBuffer(value.buffer) ? value.slice() : value;
  }
  return out;
}

module.exports = {
  name: 'native-cluster',
  kind: 'processes',
  describe: 'native cluster processes running the JS reference; inputs and outputs copied by IPC',
  available() {
    try {
      return getCluster().isPrimary ? null : 'only from a primary process';
    } catch (err) {
      return err.message;
    }
  },
  async start({ workers }) {
    const cluster = getCluster();
    cluster.setupPrimary({ exec: WORKER, serialization: 'advanced' });
    const procs = await Promise.all(
      Array.from({ length: workers }, () => {
        const w = cluster.fork();
        return new Promise((resolve, reject) => {
          w.once('online', () => resolve(w));
          w.once('error', reject);
          w.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was online`)));
        });
      }),
    );
    const pending = new Map();
    let nextId = 0;
    for (const w of procs) {
      w.on('message', ({ id, result, output, error }) => {
        const task = pending.get(id);
        pending.delete(id);
        if (error) task.reject(new Error(error));
        else task.resolve({ result, output });
      });
    }
    const idle = [...procs];
    const queue = [];
    const pump = () => {
      while (idle.length && queue.length) {
        const w = idle.pop();
        const { message, resolve, reject } = queue.shift();
        pending.set(message.id, {
          resolve: (v) => {
            idle.push(w);
            pump();
            resolve(v);
          },
          reject: (e) => {
            idle.push(w);
            pump();
            reject(e);
          },
        });
        w.send(message);
      }
    };
    const send = (message) => new Promise((resolve, reject) => {
      queue.push({ message: { id: nextId++, ...message }, resolve, reject });
      pump();
    });
    const runPart = async (kernel, input, part) => {
      const { result, output } = await send({ kernel, input: plain(input), part });
      if (output) splitters[kernel].output(input, part).set(output);
      return result;
    };
    return {
      workers,
      run: (kernel, input) => runSplit(kernel, input, workers, runPart),
      noop: () => send({ kernel: 'noop', input: null, part: null }),
      pids: () => procs.map((w) => w.process.pid),
      stop: () =>
        Promise.all(
          procs.map(
            (w) =>
              new Promise((resolve) => {
                if (w.isDead()) return resolve();
                w.once('exit', resolve);
                w.kill();
              }),
          ),
        ),
    };
  },
};
