'use strict';

/**
 * Loads the compiled addon. The binary is `native-parallel.<platform>-<arch>[-libc].node` at the
 * package root: shipped prebuilt for linux-x64-gnu, built from source by `scripts/build.js`
 * elsewhere. Loading is lazy so that `require('native-parallel')` works everywhere (the JS
 * reference kernels need no addon); using a native feature where the addon is missing throws
 * ERR_UNSUPPORTED_PLATFORM.
 * @module native-parallel/lib/native
 */

const fs = require('node:fs');
const path = require('node:path');

/** @returns {string} e.g. `linux-x64-gnu` */
let triple;
function platformTriple() {
  if (triple !== undefined) return triple;
  const { platform, arch } = process;
  if (platform !== 'linux') return (triple = `${platform}-${arch}`);
  // A process report tells glibc from musl, but it is slow (it lists every open handle, which
  // takes hundreds of ms in a busy process): ask once, and first ask ldd, as detect-libc does.
  try {
    const ldd = fs.readFileSync('/usr/bin/ldd', 'latin1');
    if (ldd.includes('musl')) return (triple = `${platform}-${arch}-musl`);
    if (ldd.includes('GNU C Library') || ldd.includes('GLIBC')) return (triple = `${platform}-${arch}-gnu`);
  } catch {
    // no ldd: fall back to the report
  }
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  const glibc = report && /** @type {any} */ (report).header && /** @type {any} */ (report).header.glibcVersionRuntime;
  return (triple = `${platform}-${arch}-${glibc ? 'gnu' : 'musl'}`);
}

const binaryName = () => `native-parallel.${platformTriple()}.node`;

/**
 * The environment variable that makes this package load the test build of the addon: the same
 * code plus the crash-on-purpose kernels (`__panic`, `__segfault`...) the test suite needs,
 * which release binaries leave out. `jest.config.js` sets it; nothing else should. (Not named
 * NATIVE_PARALLEL_*: that prefix is the cluster channel's plumbing, which a worker removes from
 * its environment.)
 */
const TEST_KERNELS_ENV = 'TEST_NATIVE_PARALLEL_KERNELS';

/** @returns {string} e.g. `native-parallel.linux-x64-gnu.test-kernels.node` (never published) */
const testBinaryName = () => `native-parallel.${platformTriple()}.test-kernels.node`;

const testing = () => process.env[TEST_KERNELS_ENV] === '1';

/** Set by `useBinary` in a WorkerPool Worker: the file its pool's owner loaded. */
let chosen = null;

/** The binary this process loads (cluster workers and WorkerPool Workers load the same one). */
const binaryPath = () => chosen ?? path.join(__dirname, '..', testing() ? testBinaryName() : binaryName());

/**
 * Makes this thread load the addon at `file`, the one its WorkerPool's owner loaded (a Worker
 * may have an `env` of its own, without the variable that chose the owner's file, and two
 * copies of the addon would not share the pool). Call before anything loads it.
 * @param {string} file
 */
function useBinary(file) {
  if (cached === undefined) chosen = file;
}

let cached;
let failure;

/**
 * The addon's exports.
 * @param {string} [feature] what the caller wanted, for the error message
 * @returns {any}
 */
function loadNative(feature = 'native-parallel') {
  if (cached) return cached;
  if (!failure) {
    try {
      cached = require(binaryPath());
      return cached;
    } catch (err) {
      failure = err;
    }
  }
  const name = path.basename(binaryPath());
  const hint = testing() ? `; ${TEST_KERNELS_ENV}=1 asks for the test build: \`node scripts/build.js --test-kernels\` makes it` : '';
  // errors.js is loaded here, on failure only: a WorkerPool Worker loads this file as it starts.
  throw require('./errors').unsupportedPlatform(`${feature} (the native addon ${name} could not be loaded: ${failure.message.split('\n')[0]}${hint})`, failure);
}

module.exports = { loadNative, useBinary, binaryName, binaryPath, platformTriple, testBinaryName, TEST_KERNELS_ENV };
