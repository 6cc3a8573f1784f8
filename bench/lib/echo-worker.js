'use strict';

/** A node:cluster worker for bench/process-pool.js: echoes every IPC message back. */
process.on('message', (m) => process.send(m));
