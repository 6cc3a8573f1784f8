#!/usr/bin/env node
'use strict';

/**
 * Install step. In a git checkout (or with --force) it always builds the addon from source in
 * release mode. In an installed package it keeps the prebuilt binary when it loads, and builds
 * from source otherwise (a platform with no prebuilt binary). With no prebuilt binary and no
 * Rust toolchain it warns and succeeds: the package still loads and native features throw
 * ERR_UNSUPPORTED_PLATFORM.
 *
 * `--test-kernels` builds the test flavour instead (`cargo build --features test-kernels`, the
 * crash-on-purpose kernels the test suite needs) into its own file, which is never published;
 * it is skipped when that file is newer than every source file. Same target directory as the
 * release build, so only this crate is compiled again.
 */

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { binaryName, testBinaryName } = require('../lib/native');

const root = path.join(__dirname, '..');
const testKernels = process.argv.includes('--test-kernels');
const target = path.join(root, testKernels ? testBinaryName() : binaryName());
const force = testKernels || process.argv.includes('--force') || fs.existsSync(path.join(root, '.git'));

function prebuiltLoads() {
  if (!fs.existsSync(target)) return false;
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(target)})`], { stdio: 'ignore' });
  return probe.status === 0;
}

function libraryFile(dir) {
  const names = { linux: 'libnative_parallel.so', darwin: 'libnative_parallel.dylib', win32: 'native_parallel.dll' };
  return path.join(dir, names[process.platform] ?? names.linux);
}

/** Newest modification time (ms) of the files the addon is built from. */
function newestSource() {
  let newest = 0;
  const visit = (file) => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) for (const name of fs.readdirSync(file)) visit(path.join(file, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const name of ['src', 'build.rs', 'Cargo.toml', 'Cargo.lock']) visit(path.join(root, name));
  return newest;
}

function main() {
  if (testKernels && fs.existsSync(target) && fs.statSync(target).mtimeMs > newestSource()) {
    return 0;
  }
  if (!force && prebuiltLoads()) {
    console.log(`native-parallel: using the prebuilt ${binaryName()}`);
    return 0;
  }
  const cargo = process.env.CARGO || 'cargo';
  if (spawnSync(cargo, ['--version'], { stdio: 'ignore' }).status !== 0) {
    if (testKernels) {
      console.error('native-parallel: the test build of the addon needs a Rust toolchain (https://rustup.rs)');
      return 1;
    }
    console.warn(
      `native-parallel: no prebuilt binary fits ${binaryName()} and no Rust toolchain was found; ` +
        'native features will throw ERR_UNSUPPORTED_PLATFORM. Install Rust (https://rustup.rs) and reinstall to build them.',
    );
    return 0;
  }
  const features = testKernels ? ['--features', 'test-kernels'] : [];
  console.log(`native-parallel: building ${path.basename(target)} from source (cargo build --release ${features.join(' ')})`);
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
  const build = spawnSync(cargo, ['build', '--release', '--locked', ...features], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
  });
  if (build.status !== 0) return build.status ?? 1;
  // Copy then rename: a running process that has the old binary mapped keeps it intact
  // (copying over it in place would change its code under it).
  const staging = `${target}.${process.pid}.tmp`;
  fs.copyFileSync(libraryFile(path.join(targetDir, 'release')), staging);
  fs.renameSync(staging, target);
  return 0;
}

process.exitCode = main();
