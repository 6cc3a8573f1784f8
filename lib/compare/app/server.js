'use strict';

/**
 * Starting and ending the user's server for `compare --app`. Each server (one process, or a
 * generated primary and its workers) runs in a process group of its own (`detached`), so it can
 * be ended whole, by its group id, even after its primary is gone; a Ctrl-C on the terminal
 * reaches only this process, whose handler ends the groups it started (and nothing else) and
 * then lets the signal take its usual course.
 * @module native-parallel/lib/compare/app/server
 */

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const PRIMARY = path.join(__dirname, 'primary.js');
const TAIL_BYTES = 2000;

/** Process groups started and not yet ended (a group's id is its first process's pid). */
const groups = new Set();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

function onExit() {
  for (const pgid of groups) killGroup(pgid, 'SIGKILL');
}

function onSignal(signal) {
  onExit();
  groups.clear();
  unguard();
  process.kill(process.pid, signal); // now with this handler gone: the signal's usual effect
}

function guard() {
  if (groups.size > 0) return;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unguard() {
  if (groups.size > 0) return;
  process.removeListener('exit', onExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Pids of the live processes of a process group. */
function groupPids(pgid) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** A port that was free on 127.0.0.1 a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves true once 127.0.0.1:port accepts a connection, false on refusal. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts the user's server in a mode and resolves once it listens on `port`.
 * @param {object} o
 * @param {string} o.file the server file
 * @param {'single' | 'node' | 'reuseport' | 'shared'} o.mode `single` runs the file itself; the
 *   others a generated primary forking `workers` of it
 * @param {number} o.workers
 * @param {number} o.port
 * @param {string} o.portEnv the environment variable the server reads its port from
 * @param {number} o.startTimeoutMs
 * @returns {Promise<{ port: number, pids: () => number[], stop: () => Promise<void> }>}
 */
async function startServer({ file, mode, workers, port, portEnv, startTimeoutMs }) {
  const args = mode === 'single' ? [file] : [PRIMARY, mode, String(workers), file];
  const stdio = mode === 'single' ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe'];
  guard();
  const child = spawn(process.execPath, args, { env: { ...process.env, [portEnv]: String(port) }, stdio, detached: true });
  const pgid = child.pid;
  if (pgid === undefined) {
    unguard();
    throw new Error(`could not start node for ${path.basename(file)}`);
  }
  groups.add(pgid);
  let tail = '';
  const keep = (d) => {
    tail = (tail + d).slice(-TAIL_BYTES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  exited.then(() => (gone = true));

  const stop = async () => {
    if (!groups.has(pgid)) return;
    killGroup(pgid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pgid, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    killGroup(pgid, 'SIGKILL'); // any worker that outlived its primary
    const deadline = Date.now() + 3000;
    while (groupPids(pgid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    groups.delete(pgid);
    unguard();
  };

  const name = path.basename(file);
  const said = () => (tail.trim() ? `; its output ended with:\n${tail.trim().split('\n').slice(-8).join('\n')}` : '');
  try {
    await new Promise((resolve, reject) => {
      let done = false;
      const finish = (err) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(
        () => finish(new Error(`${name} did not listen on 127.0.0.1:${port} within ${startTimeoutMs / 1000} s (it should listen on process.env.${portEnv})${said()}`)),
        startTimeoutMs,
      );
      exited.then(({ code, signal }) => finish(new Error(`${name} exited (${code ?? signal}) before it listened on process.env.${portEnv}${said()}`)));
      let ready = mode === 'single';
      if (!ready) {
        let buf = '';
        child.stdio[3].on('data', (d) => {
          buf += d;
          for (const line of buf.split('\n').slice(0, -1)) {
            const m = JSON.parse(line);
            if (m.ready) ready = true;
            else if ('exit' in m) finish(new Error(`a worker of ${name} exited (${m.exit ?? m.signal}) before every worker listened${said()}`));
          }
          buf = buf.slice(buf.lastIndexOf('\n') + 1);
        });
      }
      let probing = false;
      const poll = setInterval(async () => {
        if (!ready || probing || gone) return;
        probing = true;
        if (await accepts(port)) finish();
        probing = false;
      }, 25);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, pids: () => groupPids(pgid), stop };
}

module.exports = { startServer, freePort, groupPids };
