#!/usr/bin/env node
'use strict';

/**
 * Install step. In a git checkout (or with --force) it always builds the addon from source in
 * release mode. In an installed package it keeps the prebuilt binary when it loads, and builds
 * from source otherwise (a platform with no prebuilt binary). With no prebuilt binary and no
 * Rust toolchain it warns and succeeds: the package still loads and native features throw
 * ERR_UNSUPPORTED_PLATFORM.
 */

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { binaryName } = require('../lib/native');

const root = path.join(__dirname, '..');
const target = path.join(root, binaryName());
const force = process.argv.includes('--force') || fs.existsSync(path.join(root, '.git'));

function prebuiltLoads() {
  if (!fs.existsSync(target)) return false;
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(target)})`], { stdio: 'ignore' });
  return probe.status === 0;
}

function libraryFile(dir) {
  const names = { linux: 'libnative_parallel.so', darwin: 'libnative_parallel.dylib', win32: 'native_parallel.dll' };
  return path.join(dir, names[process.platform] ?? names.linux);
}

function main() {
  if (!force && prebuiltLoads()) {
    console.log(`native-parallel: using the prebuilt ${binaryName()}`);
    return 0;
  }
  const cargo = process.env.CARGO || 'cargo';
  if (spawnSync(cargo, ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.warn(
      `native-parallel: no prebuilt binary fits ${binaryName()} and no Rust toolchain was found; ` +
        'native features will throw ERR_UNSUPPORTED_PLATFORM. Install Rust (https://rustup.rs) and reinstall to build them.',
    );
    return 0;
  }
  console.log(`native-parallel: building ${binaryName()} from source (cargo build --release)`);
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
  const build = spawnSync(cargo, ['build', '--release', '--locked'], {
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
