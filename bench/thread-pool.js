'use strict';
// Placeholder replaced in the next commit by the ThreadPool benchmark.
console.log('benchmark not written yet');
