'use strict';

/**
 * The private symbols the facade's modules share, in one place (so no module loads another
 * only to reach one of its symbols).
 * @module native-parallel/lib/internal/symbols
 */

module.exports = Object.freeze({
  /** A pool's test hook that runs an internal kernel (lib/internal/testing.js). */
  kInternalRun: Symbol('native-parallel.internalRun'),
  /** A SharedMemory's native id, which the ProcessPool passes to native code. */
  kId: Symbol('native-parallel.SharedMemory.id'),
  /** Pins a SharedMemory while a task works on it in place (close() waits). */
  kPin: Symbol('native-parallel.SharedMemory.pin'),
  /** Releases a pin taken with kPin. */
  kUnpin: Symbol('native-parallel.SharedMemory.unpin'),
  /** `Symbol.asyncDispose` where the runtime has it (Node 20 has only the registered one). */
  asyncDispose: Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose'),
});
