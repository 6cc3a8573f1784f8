'use strict';

/**
 * Loads the compiled addon. The binary is `native-parallel.<platform>-<arch>[-libc].node` at the
 * package root: shipped prebuilt for linux-x64-gnu, built from source by `scripts/build.js`
 * elsewhere. Loading is lazy so that `require('native-parallel')` works everywhere (the JS
 * reference kernels need no addon); using a native feature where the addon is missing throws
 * ERR_UNSUPPORTED_PLATFORM.
 * @module native-parallel/lib/native
 */

const path = require('node:path');
const { unsupportedPlatform } = require('./errors');

/** @returns {string} e.g. `linux-x64-gnu` */
function platformTriple() {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  const glibc = report && /** @type {any} */ (report).header && /** @type {any} */ (report).header.glibcVersionRuntime;
  return `${platform}-${arch}-${glibc ? 'gnu' : 'musl'}`;
}

const binaryName = () => `native-parallel.${platformTriple()}.node`;
const binaryPath = () => path.join(__dirname, '..', binaryName());

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
  throw unsupportedPlatform(`${feature} (the native addon ${binaryName()} could not be loaded: ${failure.message.split('\n')[0]})`, failure);
}

module.exports = { loadNative, binaryName, binaryPath, platformTriple };
