'use strict';

// Headless Chromium for the tests that open a page, with nothing installed on the system: the
// browser comes from npm (the devDependency @sparticuz/chromium ships a brotli-compressed
// Chromium inside its package) and is driven by playwright-core. CHROMIUM_PATH overrides it with
// any Chromium or Chrome binary.

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const { chromium } = require('playwright-core');

const PACKAGE = '@sparticuz/chromium';

// Flags that keep a browser from talking to the network on its own (updates, sync, QUIC probes),
// so the only requests a test sees are the page's.
const QUIET = ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

/** The package.json of the package that `file` belongs to (the package exports no package.json). */
function packageJson(file) {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const json = JSON.parse(fs.readFileSync(candidate, 'utf8'));
      if (json.name === PACKAGE) return json;
    }
  }
  throw new Error(`no package.json of ${PACKAGE} above ${file}`);
}

/**
 * Unpacks the npm Chromium once per package version and returns the path to its binary.
 *
 * @sparticuz/chromium unpacks into os.tmpdir() under fixed names (`chromium`, `fonts/`, `lib*.so`)
 * and takes anything already there as done: a half-written binary from an interrupted or
 * concurrent run, or another version's. So the unpacking runs in a child whose TMPDIR is a fresh
 * folder, and that folder is renamed into place (atomic) under node_modules/.cache, which goes
 * away with node_modules. Concurrent runs each unpack and the first rename wins.
 *
 * @returns {Promise<string>}
 */
async function unpackedChromium() {
  const pkg = require.resolve(PACKAGE);
  const { version } = packageJson(pkg);
  const cache = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'native-parallel');
  const dir = path.join(cache, `chromium-${version}`);
  const binary = path.join(dir, 'chromium');
  if (fs.existsSync(binary)) return binary;

  fs.mkdirSync(cache, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cache, `chromium-${version}.unpacking-`));
  try {
    const script = `require(${JSON.stringify(pkg)}).executablePath().then((p) => process.stdout.write(p))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: { ...process.env, TMPDIR: staging },
      timeout: 120000,
    });
    if (stdout !== path.join(staging, 'chromium')) throw new Error(`${PACKAGE} unpacked to ${stdout}, not into ${staging}`);
    try {
      fs.renameSync(staging, dir);
    } catch (err) {
      if (!['ENOTEMPTY', 'EEXIST'].includes(err.code)) throw err; // another run put it there first
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/**
 * Launches headless Chromium: CHROMIUM_PATH when set, else the one from npm with the flags its
 * package recommends (no sandbox: CI runs as root) but one: `--single-process` is for serverless
 * hosts, and with it closing a browser context takes the whole browser down.
 *
 * @returns {Promise<import('playwright-core').Browser>}
 */
async function launchChromium() {
  const override = process.env.CHROMIUM_PATH;
  if (override) {
    if (!fs.existsSync(override)) throw new Error(`CHROMIUM_PATH=${override} does not exist`);
    return chromium.launch({ executablePath: override, headless: true, args: ['--no-sandbox', '--disable-gpu', ...QUIET] });
  }
  const npmChromium = require(PACKAGE);
  const args = npmChromium.args.filter((arg) => arg !== '--single-process');
  return chromium.launch({ executablePath: await unpackedChromium(), headless: true, args: [...args, ...QUIET] });
}

module.exports = { launchChromium, unpackedChromium };
