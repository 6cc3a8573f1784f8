'use strict';

/**
 * The task-side runtime: the entry script of every WorkerPool Worker. It attaches to the pool's
 * native queue and runs the user's task functions. When it has room for a task it takes one
 * straight from native memory; when the queue is empty it parks with `Atomics.waitAsync` on its
 * own wake word (the owner bumps and notifies it when it picks this Worker for a new task: see
 * "Parking" in src/worker_pool/core/mod.rs), so the event loop keeps running
 * between tasks: timers a task left behind fire on time, async tasks progress, and with
 * `concurrentTasksPerWorker > 1` several tasks run at once.
 * @module native-parallel/lib/worker-pool/runtime
 */

const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const { performance } = require('node:perf_hooks');
const common = require('./common');
const ser = require('./serialize');
const { loadNative, useBinary } = require('../native');

common.state.isWorkerThread = true;
common.state.workerData = workerData;

const EMPTY = Buffer.alloc(0);

/** @type {any} */ let slot;
/** @type {Int32Array} */ let wake;
/** @type {import('node:worker_threads').MessagePort} */ let port;
let concurrency = 1;
/** microseconds an idle Worker watches the queue before it parks (options.spinMicros) */
let spinMicros = 0;
let inFlight = 0;
let parked = false;
let pumping = false;
let retired = false;
const meta = new Float64Array(6);
/** Where `take` writes a task's payload when it fits (read before the next take). */
const scratch = new Uint8Array(4096);
/** route number → the task function, once loaded */
const handlers = new Map();
/** route number → the promise of its task function while it loads */
const loading = new Map();
/** task id → resolvers of a value fetched over the port */
const pulls = new Map();

function start(message) {
  const startup = message[common.kStartup];
  useBinary(startup.addon); // the owner's copy of the addon, whatever this Worker's env says
  wake = startup.wake;
  concurrency = startup.concurrency;
  spinMicros = startup.spinMicros;
  port = startup.port;
  slot = loadNative('WorkerPool').NativeWorkerSlot.attach(startup.pool, startup.slot);
  port.on('message', onPortMessage);
  if (startup.route >= 0) loadHandler(startup.route).catch(() => {}); // reported per task
  pump();
}

// The owner posts the startup message right after creating the Worker: it is usually waiting.
const first = receiveMessageOnPort(parentPort);
if (first !== undefined) start(first.message);
else parentPort.once('message', start);

/** Takes tasks while there is room; parks when the queue is empty. */
function pump() {
  if (pumping || retired) return;
  pumping = true;
  try {
    while (inFlight < concurrency) {
      // Read before `take`: a wake that lands after it makes the wait below return at once.
      const seen = Atomics.load(wake, 0);
      // Spin only with nothing else in flight here: a spin holds this Worker's event loop.
      const payload = slot.take(meta, inFlight === 0 ? spinMicros : 0, scratch);
      if (meta[0] === 1) {
        inFlight++;
        runTask(meta[1], meta[2], meta[3], payload, meta[5]);
        continue;
      }
      if (meta[0] < 0) {
        retired = true; // the owner terminates this Worker
        return;
      }
      if (!parked) park(seen);
      return;
    }
  } finally {
    pumping = false;
  }
}

function park(seen) {
  parked = true;
  const wait = Atomics.waitAsync(wake, 0, seen);
  if (wait.async) wait.value.then(unpark);
  else queueMicrotask(unpark);
}

function unpark() {
  parked = false;
  pump();
}

/** Runs a task taken just now: its payload is `payload`, or in `scratch` when that is null. */
function runTask(id, route, flags, payload, length) {
  const t0 = performance.now();
  const handler = handlers.get(route);
  if (handler !== undefined && (flags & common.FLAG_PORT) === 0) {
    let result;
    try {
      const task = payload === null ? ser.deserializeAt(scratch, 0, length) : ser.deserialize(payload);
      result = handler(task);
    } catch (err) {
      failed(id, err, t0);
      return;
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
      result.then(
        (value) => succeeded(id, value, t0),
        (err) => failed(id, err, t0),
      );
    } else {
      succeeded(id, result, t0);
    }
    return;
  }
  // It waits for its function or its value: its bytes must outlive the next take.
  runSlowly(id, route, flags, payload ?? scratch.slice(0, length), t0);
}

/** A task whose function is still loading, or whose value comes over the port. */
async function runSlowly(id, route, flags, payload, t0) {
  let result;
  try {
    const handler = await loadHandler(route);
    const task = (flags & common.FLAG_PORT) !== 0 ? await pull(id) : ser.deserialize(payload);
    result = await handler(task);
  } catch (err) {
    failed(id, err, t0);
    return;
  }
  succeeded(id, result, t0);
}

function succeeded(id, result, t0) {
  let transferList = null;
  if (common.isMovable(result)) {
    transferList = [result[common.kTransferable]];
    result = result[common.kValue];
  }
  if (transferList === null) {
    try {
      const bytes = result === undefined ? ser.UNDEFINED : ser.serialize(result).bytes;
      finish(id, common.OUTCOME_OK, bytes, t0);
      return;
    } catch (err) {
      if (err !== ser.NEEDS_PORT) {
        failed(id, err, t0);
        return;
      }
    }
  }
  try {
    // Posted before the completion, so the owner finds it on the port when the completion lands.
    port.postMessage({ id, result }, transferList ?? []);
  } catch (err) {
    failed(id, err, t0);
    return;
  }
  finish(id, common.OUTCOME_PORT, EMPTY, t0);
}

function failed(id, err, t0) {
  let bytes;
  try {
    bytes = ser.serialize(ser.errorRecord(err)).bytes;
  } catch {
    bytes = ser.serialize({ kind: 'error', ctor: 'Error', name: 'Error', message: String(err), stack: undefined, props: {} }).bytes;
  }
  finish(id, common.OUTCOME_ERROR, bytes, t0);
}

function finish(id, outcome, bytes, t0) {
  inFlight--;
  slot.complete(id, outcome, bytes, performance.now() - t0);
  pump();
}

/** Asks the owner for a task's value (it carries a SharedArrayBuffer or moved values). */
function pull(id) {
  return new Promise((resolve, reject) => {
    pulls.set(id, { resolve, reject });
    port.postMessage({ pull: id });
  });
}

function onPortMessage(message) {
  const waiting = pulls.get(message.id);
  if (waiting === undefined) return;
  pulls.delete(message.id);
  if (message.error !== undefined) waiting.reject(ser.fromErrorRecord(message.error));
  else waiting.resolve(message.task);
}

/**
 * The task function of a route: the module's export if it is a function, else its export
 * `name` (CommonJS first, then ESM, as Piscina does).
 */
function loadHandler(route) {
  const known = handlers.get(route);
  if (known !== undefined) return Promise.resolve(known);
  let promise = loading.get(route);
  if (promise === undefined) {
    promise = importHandler(route);
    loading.set(route, promise);
    promise.then(
      (fn) => handlers.set(route, fn),
      () => loading.delete(route), // tried again by the next task
    );
  }
  return promise;
}

async function importHandler(route) {
  const [filename, name] = slot.routeOf(route);
  let handler;
  try {
    handler = require(filename);
    if (typeof handler !== 'function') handler = await handler[name];
  } catch {
    // not CommonJS (or it threw): ESM import reports the real error
  }
  if (typeof handler !== 'function') {
    handler = await import(pathToFileURL(filename).href);
    if (typeof handler !== 'function') handler = await handler[name];
  }
  if (typeof handler !== 'function') {
    const err = new TypeError(`No handler function "${name}" exported from ${filename}`);
    err.code = 'ERR_INVALID_ARG_VALUE';
    throw err;
  }
  return handler;
}
