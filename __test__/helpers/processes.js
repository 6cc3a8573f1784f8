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

module.exports = { childrenOf, waitForNoChildren };
