'use strict';

// Runs scripts in a fresh node process (exit tests: the process must end by itself).
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.join(__dirname, '..', '..');

/**
 * Starts `node -e script` in the package root. `done` resolves with the exit code, signal and
 * output once the process has exited and its output ended (or 2 s after the exit, should a
 * grandchild hold the pipes); a process still running after `timeoutMs` is SIGKILLed.
 * `onLine` sees each stdout line as it comes.
 * @param {string} script
 * @param {{ timeoutMs?: number, args?: string[], env?: NodeJS.ProcessEnv, onLine?: (line: string, child: import('node:child_process').ChildProcess) => void }} [options]
 */
function startNode(script, { timeoutMs = 20000, args = [], env = process.env, onLine } = {}) {
  const child = spawn(process.execPath, [...args, '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    partial += d;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      onLine?.(line, child);
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    let settled = false;
    const finish = (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, signal, hung: killed, stdout: stdout.trim(), stderr });
    };
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 2000).unref());
    child.on('close', finish);
  });
  return { child, done };
}

/**
 * `startNode(script).done`, with `code` 'hung' when the script had to be killed.
 * @param {string} script
 * @param {number} [timeoutMs]
 */
async function runNode(script, timeoutMs = 20000) {
  const r = await startNode(script, { timeoutMs }).done;
  return { code: r.hung ? 'hung' : r.code, stdout: r.stdout, stderr: r.stderr };
}

module.exports = { startNode, runNode };
