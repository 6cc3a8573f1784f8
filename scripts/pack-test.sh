#!/usr/bin/env bash
# Packs the package and installs the tarball into throwaway projects:
#  1. as published (prebuilt linux-x64-gnu binary inside), with no Rust toolchain on PATH and
#     dependency install scripts blocked (npm's default);
#  2. with the prebuilt binary removed, install scripts allowed: it must build from source.
# Each project requires the package (CommonJS and ESM) and runs a task.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "packed $tarball ($(du -h "$work/$tarball" | cut -f1))"

smoke='
const assert = require("node:assert");
const { ThreadPool } = require("native-parallel");
const reference = require("native-parallel/reference");
(async () => {
  const pool = new ThreadPool({ threads: 2 });
  const w = 33, h = 17;
  const out = new Uint32Array(new SharedArrayBuffer(w * h * 4));
  await pool.run("mandelbrot", { width: w, height: h, maxIterations: 100, out });
  const expected = reference.mandelbrot({ width: w, height: h, maxIterations: 100, out: new Uint32Array(w * h) });
  assert.deepStrictEqual(Array.from(out), Array.from(expected));
  assert.deepStrictEqual(await pool.run("primes", { limit: 1000 }), { count: 168 });
  await pool.destroy();
  const esm = await import("native-parallel");
  assert.strictEqual(esm.ThreadPool, ThreadPool);
  console.log("smoke ok");
})().catch((e) => { console.error(e); process.exit(1); });
'

# The published binary must not carry the crash-on-purpose test kernels (`__panic`, `__segfault`...),
# which only the test build has (cargo feature `test-kernels`).
no_test_kernels='
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const dir = path.dirname(require.resolve("native-parallel/package.json"));
const binaries = fs.readdirSync(dir).filter((f) => f.endsWith(".node"));
assert.deepStrictEqual(binaries.filter((f) => f.includes("test-kernels")), []);
assert.ok(binaries.length > 0, "no binary");
for (const file of binaries) {
  const addon = require(path.join(dir, file));
  const names = [...addon.NativePool.kernelNames(), ...addon.NativeProcessPool.kernelNames()];
  assert.ok(names.includes("mandelbrot"), names.join());
  assert.deepStrictEqual(names.filter((n) => n.startsWith("__")), [], `${file} has test kernels`);
}
console.log("no test kernels in", binaries.join(", "));
'

if tar -tzf "$work/$tarball" | grep -q 'test-kernels'; then
  echo "FAIL: the tarball contains the test build of the addon" >&2
  exit 1
fi

new_project() {
  local dir=$1
  mkdir -p "$dir"
  (cd "$dir" && npm init -y >/dev/null)
}

echo "== 1. prebuilt binary, no Rust toolchain"
new_project "$work/prebuilt"
clean_path=$(echo "$PATH" | tr ':' '\n' | grep -v -e '\.cargo' -e 'rustup' | paste -sd:)
(cd "$work/prebuilt" && PATH=$clean_path CARGO=/nonexistent npm install --no-audit --no-fund "$work/$tarball" && PATH=$clean_path node -e "$smoke" && node -e "$no_test_kernels")
# Test-only tools (the npm Chromium, playwright) are devDependencies: a user never gets them.
for dev in @sparticuz/chromium playwright-core; do
  if [ -e "$work/prebuilt/node_modules/$dev" ]; then echo "FAIL: installing the tarball brought $dev" >&2; exit 1; fi
done

echo "== 2. no prebuilt binary: builds from source"
mkdir -p "$work/unpacked" && tar -xzf "$work/$tarball" -C "$work/unpacked"
rm "$work/unpacked/package/"*.node
mkdir -p "$work/src-pack"
source_tarball=$(cd "$work/unpacked/package" && npm pack --silent --pack-destination "$work/src-pack" | tail -n 1)
new_project "$work/source"
# npm 11 runs a dependency's install script only when the project allows it.
(cd "$work/source" && npm pkg set allowScripts.native-parallel=true --json)
(cd "$work/source" && CARGO_TARGET_DIR="$root/target/pack-test" npm install --no-audit --no-fund "$work/src-pack/$source_tarball" && node -e "$smoke" && node -e "$no_test_kernels")
ls "$work/source/node_modules/native-parallel/"*.node
echo "pack test ok"
