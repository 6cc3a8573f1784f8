'use strict';

/**
 * Progress while `compare` runs: a bar on a terminal (cli-progress), plain lines otherwise so
 * logs stay readable (one line per 10% and per workload change).
 */

function createProgress(stream) {
  if (stream.isTTY) {
    const { SingleBar, Presets } = require('cli-progress');
    const bar = new SingleBar({ format: 'compare [{bar}] {percentage}% | {value}/{total} | {label}', hideCursor: true, stream, clearOnComplete: true }, Presets.shades_classic);
    let started = false;
    return {
      update({ done, total, label }) {
        if (!started) {
          bar.start(total, 0, { label });
          started = true;
        }
        bar.update(done, { label });
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastDecile = -1;
  let lastTopic = '';
  return {
    update({ done, total, label }) {
      const decile = Math.floor((done / total) * 10);
      const topic = label.split(' ')[0];
      if (decile !== lastDecile || topic !== lastTopic) {
        stream.write(`compare: ${Math.round((done / total) * 100)}% ${label}\n`);
        lastDecile = decile;
        lastTopic = topic;
      }
    },
    stop: () => {},
  };
}

module.exports = { createProgress };
