'use strict';

const fs = require('node:fs');

/** Pids of the live (non-zombie) child processes of `pid`. */
function childrenOf(pid = process.pid) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Waits (bounded) until `pid` has no live children; returns those left. */
async function waitForNoChildren(pid = process.pid, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  let left = childrenOf(pid);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = childrenOf(pid);
  }
  return left;
}

/** Pids of the zombie (exited, not reaped) children of `pid` named `comm` (any name if omitted). */
function zombiesOf(pid = process.pid, comm = undefined) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (Number(fields[1]) === pid && fields[0] === 'Z' && (comm === undefined || name === comm)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** True while `pid` is a live (non-zombie) process whose name is `comm`. */
function isAlive(pid, comm) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return name === comm && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (bounded) until none of `pids` is a live process named `comm`; returns those left. */
async function waitForGone(pids, comm, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter((p) => isAlive(p, comm));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    left = left.filter((p) => isAlive(p, comm));
  }
  return left;
}

/**
 * Starts a ProcessPool task that runs until it is stopped (a mandelbrot of `parts` row bands,
 * every pixel inside the set at a million iterations each, written into a SharedMemory), and
 * `started(part)`, which resolves once the worker running band `part` has written its first
 * pixel: from then on that worker has started its part, for sure. `shm` is the caller's to close.
 * @param {import('../../lib/process-pool').ProcessPool} pool
 * @param {{ SharedMemory: any }} lib the package
 * @param {number} [parts] bands (the pool splits a mandelbrot into one per process)
 */
function endlessTask(pool, { SharedMemory }, parts = 1) {
  const width = 64;
  const height = 64 * parts;
  const shm = new SharedMemory(width * height * 4);
  const out = new Uint32Array(shm.buffer);
  const task = pool.run('mandelbrot', { width, height, maxIterations: 1_000_000, xMin: -0.1, xMax: 0, yMin: -0.05, yMax: 0.05, out });
  // Every pixel is at least 1 once written; the band of part k starts at row 64 * k.
  const started = async (part = 0) => {
    const deadline = Date.now() + 15000;
    while (out[part * 64 * width] === 0) {
      if (Date.now() > deadline) throw new Error(`part ${part} did not start`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return { task, started, shm };
}

module.exports = { endlessTask, childrenOf, waitForNoChildren, zombiesOf, isAlive, waitForGone };
