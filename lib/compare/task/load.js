'use strict';

/**
 * Loads the user's task file the way Piscina and WorkerPool do: CommonJS or ESM, the function is
 * the default export (`module.exports = fn`, `export default fn`) or the export named `name`,
 * and may return a value or a promise. Used on the main thread and inside every worker, so every
 * engine runs the same function. An optional `inputs(count)` export makes the task's inputs.
 * @module native-parallel/lib/compare/task/load
 */

const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { types } = require('node:util');
const errors = require('../../errors');

/**
 * The module namespace: `import()` where the host allows it; `require()` where it does not (a
 * vm context without a dynamic-import hook, such as Jest's), which reads CommonJS files only
 * (or ESM where this Node's require() loads ESM).
 */
async function namespaceOf(file) {
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    const noHook = err?.code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING' || /ES Modules in the VM API|dynamic import callback/i.test(err?.message ?? '');
    if (!noHook) throw err;
  }
  const exported = require(file);
  if (types.isModuleNamespaceObject(exported)) return exported;
  return { ...(exported !== null && typeof exported === 'object' ? exported : {}), default: exported };
}

/** The first of `candidates` that is a function (a promise of one is awaited, as Piscina does). */
async function firstFunction(candidates) {
  for (const c of candidates) {
    const value = await c;
    if (typeof value === 'function') return value;
  }
  return null;
}

/**
 * @param {string} file path of the task file
 * @param {string} [name] export to run (default: the default export)
 * @returns {Promise<{ fn: (input: any) => any, inputs: ((count: number) => any) | null, exports: string[] }>}
 */
async function loadTask(file, name = 'default') {
  const abs = path.resolve(file);
  const ns = await namespaceOf(abs);
  const dflt = ns.default;
  const holder = (dflt !== null && typeof dflt === 'object') || typeof dflt === 'function' ? dflt : {};
  // CommonJS: `default` is module.exports; named exports may be only on it. A transpiled ESM
  // module has its function at module.exports.default.
  const fn =
    name === 'default'
      ? await firstFunction([dflt, dflt?.default])
      : await firstFunction([ns[name], holder[name]]);
  const exports = [...new Set([...Object.keys(ns), ...Object.keys(holder)])];
  if (!fn) {
    throw errors.invalidArgValue('task', file, `has no function ${name === 'default' ? 'as its default export' : `exported as '${name}'`} (exports: ${exports.join(', ') || 'none'})`);
  }
  const inputs = [ns.inputs, holder.inputs].find((f) => typeof f === 'function') ?? null;
  return { fn, inputs, exports };
}

/**
 * `Name: message` of a thrown value (an Error or anything else), the same on every engine: a
 * worker sends it as `{ error, described: true }` and its pool rejects with an Error whose
 * `described` holds it, which this returns as it is.
 */
function describeError(err) {
  if (err !== null && typeof err === 'object') {
    if (typeof err.described === 'string') return err.described;
    if (typeof err.message === 'string') return `${err.name || 'Error'}: ${err.message}`;
  }
  return String(err);
}

module.exports = { loadTask, describeError };
