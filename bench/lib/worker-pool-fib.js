'use strict';

/** The CPU-bound task of bench/worker-pool.js: naive recursive Fibonacci. */
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
module.exports = (n) => fib(n);
