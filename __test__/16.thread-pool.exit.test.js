'use strict';

const { runNode } = require('./helpers/node');

describe('process exit', () => {
  test('a script that runs a task and never destroys the pool exits by itself', async () => {
    const r = await runNode(`
      const { ThreadPool } = require('.');
      const pool = new ThreadPool({ threads: 2 });
      pool.run('primes', { limit: 100 }).then((x) => console.log(x.count));`);
    expect(r).toMatchObject({ code: 0, stdout: '25' });
  });

  test('an idle pool does not keep the process alive', async () => {
    const r = await runNode(`const { ThreadPool } = require('.'); new ThreadPool({ threads: 2 }); console.log('made');`);
    expect(r).toMatchObject({ code: 0, stdout: 'made' });
  });

  test('a pending task keeps the process alive until it settles', async () => {
    const r = await runNode(`
      const { ThreadPool } = require('.');
      const pool = new ThreadPool({ threads: 1 });
      pool.run('spin', { micros: 200000 }).then(() => console.log('spun'));`);
    expect(r).toMatchObject({ code: 0, stdout: 'spun' });
  });

  test('process.exit while kernels run does not crash', async () => {
    const r = await runNode(`
      const { ThreadPool } = require('.');
      const pool = new ThreadPool({ threads: 2 });
      pool.run('spin', { micros: 30000000 });
      pool.run('spin', { micros: 30000000 });
      setTimeout(() => process.exit(7), 50);`);
    expect(r.code).toBe(7);
  });

  test('a panic leaves nothing on stderr and the process exits 0', async () => {
    const r = await runNode(`
      const { ThreadPool } = require('.');
      const { runInternal } = require('./lib/internal/testing');
      const pool = new ThreadPool({ threads: 1 });
      runInternal(pool, '__panic').catch((e) => console.log(e.code));`);
    expect(r).toMatchObject({ code: 0, stdout: 'ERR_NATIVE_PANIC', stderr: '' });
  });
});
