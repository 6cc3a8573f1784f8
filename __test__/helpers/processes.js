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

module.exports = { childrenOf, waitForNoChildren, zombiesOf, isAlive, waitForGone };
