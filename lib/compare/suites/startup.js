'use strict';

/** `startup`: time from asking an engine for one worker to that worker answering a first task. */

const { now, msSince, summary } = require('../measure');

async function startup({ engineModules, runs, tick }) {
  const contenders = engineModules.filter((e) => e.name !== 'js');
  const times = new Map(contenders.map((e) => [e.name, []]));
  for (let round = 0; round < runs + 1; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const engine = contenders[(round + i) % contenders.length];
      const t0 = now();
      const instance = await engine.start({ workers: 1 });
      await instance.noop();
      const ms = msSince(t0);
      await instance.stop();
      if (round > 0) times.get(engine.name).push(ms);
      tick(`startup ${engine.name}`);
    }
  }
  return { results: contenders.map((e) => ({ engine: e.name, readyMs: summary(times.get(e.name)) })) };
}

module.exports = { startup, steps: (engines, runs) => engines.filter((e) => e.name !== 'js').length * (runs + 1) };
