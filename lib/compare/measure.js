'use strict';

/**
 * Measuring helpers shared by the comparisons: statistics, CPU time and peak RSS of this process
 * and of worker processes (read from the OS: getrusage and /proc).
 * @module native-parallel/lib/compare/measure
 */

const fs = require('node:fs');

const now = () => process.hrtime.bigint();
const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** @param {number[]} xs @returns {{ median: number, min: number, max: number, runs: number }} */
function summary(xs) {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, runs: 0 };
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: xs.length };
}

/** Percentile of an unsorted sample (nearest rank). */
function percentile(xs, q) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const TICK_NS = 1e7; // /proc/<pid>/stat times are in 1/100 s: the fallback's only precision.

// The first field of /proc/<pid>/task/<tid>/schedstat is the thread's time on a CPU in ns.
// A kernel without it (no CONFIG_SCHED_INFO) lacks the file or prints "0 0 0"; then the
// thread's utime + stime from its stat file are used, in 10 ms ticks.
const HAS_SCHEDSTAT = (() => {
  try {
    return !/^0 0 0\b/.test(fs.readFileSync('/proc/self/schedstat', 'utf8'));
  } catch {
    return false;
  }
})();

/** Time on a CPU (ns) of one thread of a process, or null once it is gone. */
function threadCpuNs(pid, tid) {
  try {
    const dir = `/proc/${pid}/task/${tid}`;
    let ns;
    if (HAS_SCHEDSTAT) {
      ns = Number(fs.readFileSync(`${dir}/schedstat`, 'utf8').split(' ', 1)[0]);
    } else {
      const stat = fs.readFileSync(`${dir}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ns = (Number(fields[11]) + Number(fields[12])) * TICK_NS;
    }
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}

/** CPU ns of every live thread of the given processes, keyed `pid/tid`; gone ones are absent. */
function readThreads(pids) {
  const threads = new Map();
  for (const pid of pids) {
    let tids;
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // the process is gone
    }
    for (const tid of tids) {
      const ns = threadCpuNs(pid, tid);
      if (ns !== null) threads.set(`${pid}/${tid}`, ns);
    }
  }
  return threads;
}

/**
 * A starting point for cpuMsSince(): the CPU time so far of this process (getrusage, all its
 * threads, those gone included) unless `self` is false, and of every thread of the given worker
 * processes (schedstat, ns). The children are read before this process, so the reading's own
 * cost is not counted.
 * @param {number[]} pids worker processes
 * @param {{ self?: boolean }} [options]
 */
function cpuMark(pids, { self = true } = {}) {
  const threads = readThreads(pids);
  return { pids: [...pids], threads, self: self ? process.cpuUsage() : null };
}

/**
 * CPU ms the threads of two readThreads() readings used in between: a thread born since counts
 * whole; a thread or process gone since counts nothing after the first reading (its last slice
 * is lost: /proc no longer has it); nothing counts below zero.
 * @param {Map<string, number>} before
 * @param {Map<string, number>} after
 */
function threadsCpuMsBetween(before, after) {
  let ns = 0;
  for (const [key, cpuNs] of after) ns += Math.max(0, cpuNs - (before.get(key) ?? 0));
  return ns / 1e6;
}

/**
 * CPU ms used since `mark` by this process (unless the mark left it out) and the mark's worker
 * processes (see threadsCpuMsBetween for threads and processes that come and go). This process
 * is read before the children, so the reading's own cost is not counted.
 * @param {ReturnType<typeof cpuMark>} mark
 * @returns {number}
 */
function cpuMsSince(mark) {
  const self = mark.self ? process.cpuUsage(mark.self) : null;
  return (self ? (self.user + self.system) / 1000 : 0) + threadsCpuMsBetween(mark.threads, readThreads(mark.pids));
}

function statusKb(pid, field) {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resets the peak-RSS mark (VmHWM) of this process and the children, where the OS allows. */
function resetPeakRss(pids) {
  for (const pid of ['self', ...pids]) {
    try {
      fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // Not permitted or not Linux: the peak then covers the process lifetime.
    }
  }
}

/** Peak RSS (MiB) of this process plus the children since the last reset. */
function peakRssMiB(pids) {
  return ['self', ...pids].reduce((sum, pid) => sum + statusKb(pid, 'VmHWM'), 0) / 1024;
}

/** Current RSS (kB) of a process. */
const rssKb = (pid = 'self') => statusKb(pid, 'VmRSS');

module.exports = { now, msSince, summary, percentile, cpuMark, cpuMsSince, readThreads, threadsCpuMsBetween, resetPeakRss, peakRssMiB, rssKb };
