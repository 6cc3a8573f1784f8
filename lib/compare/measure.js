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

const TICK_MS = 10; // Linux reports /proc/<pid>/stat times in 1/100 s.

/** CPU ms (user + system) of a child process, or 0 once it is gone. */
function childCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU ms used so far by this process (all its threads) and the given child processes. */
function cpuMs(pids) {
  const self = process.cpuUsage();
  return (self.user + self.system) / 1000 + pids.reduce((sum, pid) => sum + childCpuMs(pid), 0);
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

module.exports = { now, msSince, summary, percentile, cpuMs, resetPeakRss, peakRssMiB, rssKb };
