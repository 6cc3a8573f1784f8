'use strict';

// node's test/common/countdown: calls `callback` (exactly once) when dec() has been called `limit` times.
const assert = require('node:assert');
const common = require('./');

class Countdown {
  #limit;
  #callback;

  constructor(limit, callback) {
    assert(limit > 0);
    this.#limit = limit;
    this.#callback = common.mustCall(callback);
  }

  dec() {
    assert(this.#limit > 0, 'Countdown expired');
    if (--this.#limit === 0) this.#callback();
    return this.#limit;
  }

  get remaining() {
    return this.#limit;
  }
}

module.exports = Countdown;
