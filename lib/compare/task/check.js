'use strict';

/**
 * How a task's results are compared with the main thread's: what a worker hands back is a
 * clone (postMessage's structured clone, or v8 serialization over IPC), so both sides are
 * compared as structured clones: `util.isDeepStrictEqual` after `structuredClone` (class
 * instances become plain objects on both sides; a Buffer becomes the Uint8Array postMessage
 * gives, where a v8 round trip would give a Buffer back; NaN equals NaN; -0 and +0 differ; a Map
 * compares by contents). A value that cannot be cloned is compared as it is.
 * @module native-parallel/lib/compare/task/check
 */

const { inspect, isDeepStrictEqual } = require('node:util');

/** The value as postMessage would deliver it, or the value itself if it cannot be cloned. */
function asClone(value) {
  if (value === null || typeof value !== 'object') return value;
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/** An input copy for the main thread (so a task that changes its input cannot change later runs). */
function copyInput(value) {
  if (value === null || typeof value !== 'object') return value;
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

const show = (value) => inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 8, maxStringLength: 80 }).slice(0, 240);

/**
 * The first task whose result differs from the expected one, or null when all agree.
 * @param {any[]} results
 * @param {any[]} expected clones (asClone) of the main thread's results
 * @returns {{ task: number, expected: string, actual: string } | null}
 */
function firstDifference(results, expected) {
  for (let i = 0; i < expected.length; i++) {
    const actual = asClone(results[i]);
    if (!isDeepStrictEqual(actual, expected[i])) return { task: i, expected: show(expected[i]), actual: show(actual) };
  }
  return null;
}

module.exports = { asClone, copyInput, firstDifference, show };
