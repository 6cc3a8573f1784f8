'use strict';

/**
 * Plain-JavaScript reference kernels for `native-parallel`.
 *
 * Each kernel takes the same single input object a user passes to
 * `pool.run(kernel, input)` (already validated) and returns its result. They define
 * correctness for the native kernels and are the baseline they are benchmarked against.
 * Each lives in its own file here; the list is the kernel registry's (`lib/kernels/`).
 *
 * @module native-parallel/lib/reference
 */

const { kernels: descriptors } = require('../kernels');

/** Names of all reference kernels, in a stable order. */
const kernels = Object.freeze(descriptors.map((k) => k.name));

module.exports = { ...Object.fromEntries(descriptors.map((k) => [k.name, k.reference])), kernels };
