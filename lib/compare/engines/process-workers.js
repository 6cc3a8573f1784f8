'use strict';

/**
 * What the two process engines (`cluster`, `native-cluster`) share: worker processes that take
 * one message at a time over IPC. Processes share no memory here, so each kernel part's input
 * travels to its worker (typed arrays over SharedArrayBuffer copied to plain ones first) and the
 * part's output comes back and is copied into place: the honest cost of processes. The same
 * processes machinery runs the user's own task (`startTask`), one task per message.
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
 * `once('online' | 'exit')`, `send`, `kill`, `isDead`, `process.pid` or `pid`) and resolves,
 * once all are online, with `send(message)`: the message goes to the next idle worker with an
 * `id`, and the promise settles with that worker's answer `{ id, error?, ...rest }` (rejected
 * when `error` is set, or when the worker exits first).
 * @param {number} workers
 * @param {() => any} fork
 */
async function startProcesses(workers, fork) {
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
  let nextId = 0;
  let stopping = false;
  const idle = [...procs];
  const queue = [];
  const busy = new Map(); // worker -> the task it runs
  const pump = () => {
    while (idle.length && queue.length) {
      const w = idle.pop();
      const task = queue.shift();
      busy.set(w, task);
      w.send(task.message);
    }
  };
  for (const w of procs) {
    w.on('message', (answer) => {
      const task = busy.get(w);
      if (!task || answer?.id !== task.message.id) return;
      busy.delete(w);
      idle.push(w);
      pump();
      if (answer.error) task.reject(Object.assign(new Error(answer.error), answer.described ? { described: answer.error } : {}));
      else task.resolve(answer);
    });
    w.on('exit', (code, signal) => {
      const i = idle.indexOf(w);
      if (i >= 0) idle.splice(i, 1);
      const task = busy.get(w);
      busy.delete(w);
      if (task) task.reject(new Error(`worker process ${w.process?.pid ?? w.pid} exited (${code ?? signal}) while it ran a task`));
      if (!stopping && idle.length === 0 && busy.size === 0) {
        for (const t of queue.splice(0)) t.reject(new Error('every worker process exited'));
      }
    });
  }
  const send = (message) =>
    new Promise((resolve, reject) => {
      queue.push({ message: { id: nextId++, ...message }, resolve, reject });
      pump();
    });
  const stopOne = (w) =>
    new Promise((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', resolve);
      w.kill();
    });
  return {
    workers,
    send,
    pids: () => procs.map((w) => w.process?.pid ?? w.pid),
    stop: () => {
      stopping = true;
      return Promise.all(procs.map(stopOne));
    },
  };
}

/** The kernel engine: each run split over the processes (see split.js). */
async function startProcessWorkers(workers, fork) {
  const procs = await startProcesses(workers, fork);
  const runPart = async (kernel, input, part) => {
    const { result, output } = await procs.send({ kernel, input: plain(input), part });
    if (output) splitters[kernel].output(input, part).set(output);
    return result;
  };
  return {
    workers,
    run: (kernel, input) => runSplit(kernel, input, workers, runPart),
    noop: () => procs.send({ kernel: 'noop', input: null, part: null }),
    pids: procs.pids,
    stop: procs.stop,
  };
}

/** The task engine: one user task per message (see ../task/process-entry.js). */
async function startTaskProcesses(workers, fork) {
  const procs = await startProcesses(workers, fork);
  return {
    workers,
    run: async (input) => (await procs.send({ input })).result,
    pids: procs.pids,
    stop: procs.stop,
  };
}

module.exports = { startProcesses, startProcessWorkers, startTaskProcesses };
