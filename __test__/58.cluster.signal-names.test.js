'use strict';

// Signal names: a worker killed by a signal with aliases (6 is SIGABRT and SIGIOT, 29 is SIGIO
// and SIGPOLL) is reported under the canonical name, as Node reports its own child processes
// and node:cluster workers.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { signalName } = require('../lib/internal/signals');
const { runNode } = require('./helpers/node');

const IDLE = path.join(__dirname, 'fixtures', 'cluster', 'idle-worker.js');
const ALIASED = ['SIGABRT', 'SIGIO'];

/** How Node itself names the signal that killed a child process of its own. */
function nodeChildSignal(signal) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('spawn', () => process.kill(child.pid, os.constants.signals[signal]));
    child.on('exit', (code, name) => resolve(name));
  });
}

describe('signalName', () => {
  test('names the numbers with aliases canonically, and every number with a name Node lists for it', () => {
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(29)).toBe('SIGIO');
    for (const [name, signo] of Object.entries(os.constants.signals)) {
      expect(os.constants.signals[signalName(signo)]).toBe(signo);
      if (name === 'SIGIOT' || name === 'SIGPOLL') expect(signalName(signo)).not.toBe(name);
    }
    expect(signalName(0)).toBeUndefined();
    expect(signalName(40)).toBeUndefined();
  });

  test.each([...ALIASED, 'SIGIOT', 'SIGPOLL', 'SIGKILL', 'SIGSEGV', 'SIGTERM'])('agrees with Node on a child killed by %s', async (signal) => {
    expect(await nodeChildSignal(signal)).toBe(signalName(os.constants.signals[signal]));
  });
});

describe('cluster workers killed by a signal with aliases', () => {
  // Any core file a SIGABRT leaves goes to this directory (the workers' cwd), removed after.
  let cwd;
  beforeAll(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'np-signals-'));
  });
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  /** In a fresh primary: forks a worker per signal, kills it, reports [signal, code, exit's signal, signalCode]. */
  async function killedWorkers(which) {
    const script = `
      const cluster = ${which === 'node:cluster' ? "require('node:cluster')" : "require('.').cluster"};
      const settings = { exec: ${JSON.stringify(IDLE)}, cwd: ${JSON.stringify(cwd)}, execArgv: [], silent: true };
      // The native cluster's own option: the idle worker it restarts ignores the disconnect.
      cluster.setupPrimary(${which === 'node:cluster' ? 'settings' : '{ ...settings, shutdownTimeoutMs: 200 }'});
      (async () => {
        const out = [];
        for (const signal of ${JSON.stringify(ALIASED)}) {
          const w = cluster.fork();
          // 'online': the process is up (the signal kills it whatever it is doing).
          await new Promise((resolve) => w.once('online', resolve));
          const exited = new Promise((resolve) => w.once('exit', (code, name) => resolve([signal, code, name, w.process.signalCode])));
          process.kill(w.process.pid, signal);
          out.push(await exited);
        }
        if (typeof cluster.shutdown === 'function') await cluster.shutdown();
        console.log(JSON.stringify(out));
      })();`;
    const { code, stdout, stderr } = await runNode(script, 30000);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(stdout);
  }

  const want = ALIASED.map((signal) => [signal, null, signal, signal]);

  test('the native cluster reports SIGABRT and SIGIO (not SIGIOT, SIGPOLL)', async () => {
    expect(await killedWorkers('native')).toEqual(want);
  });

  test('node:cluster reports the same', async () => {
    expect(await killedWorkers('node:cluster')).toEqual(want);
  });
});
