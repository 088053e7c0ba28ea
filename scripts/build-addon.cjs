// Builds a package's N-API addon from source with node-gyp and the machine's compiler, against the running Node's
// own headers (no downloads). Used by the `install` lifecycle scripts of @vtx/backend-native and @vtx/mpi, run in
// the package's folder: `node ../../scripts/build-addon.cjs <what is unavailable without it> [ENV=1 to retry]`.
// It never fails the install: when the build cannot run it logs one line and exits 0, and the package then reports
// itself unavailable at run time.
/* global process, console, require */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = process.cwd();
const name = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name;
const [unavailable = 'unavailable', retryEnv] = process.argv.slice(2);

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    // npm and pnpm ship node-gyp next to themselves
    path.join(
      path.dirname(process.execPath),
      '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ),
    path.join(
      path.dirname(process.execPath),
      '../lib/node_modules/pnpm/dist/node_modules/node-gyp/bin/node-gyp.js',
    ),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a dependency */
  }
  const js = candidates.find((p) => p && p.endsWith('.js') && fs.existsSync(p));
  if (js) return [process.execPath, js];
  // pnpm puts its node-gyp shim on PATH for lifecycle scripts
  const onPath = spawnSync('node-gyp', ['--version'], { stdio: 'ignore' });
  return onPath.status === 0 ? ['node-gyp'] : null;
}

/** The Node install prefix when it carries its headers (official tarballs and Debian/NodeSource packages do). */
function nodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include/node/node_api.h'))) return prefix;
  const configured = process.env.npm_config_nodedir;
  if (configured && fs.existsSync(path.join(configured, 'include/node/node_api.h'))) return configured;
  return null;
}

function build(gyp, dir, env) {
  const [cmd, ...pre] = gyp;
  const args = [...pre, 'rebuild', '--release', `--nodedir=${dir}`, '--jobs=max'];
  return spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
}

function main() {
  if (process.env.VTX_NATIVE_SKIP_BUILD === '1') {
    console.log(`${name}: build skipped (VTX_NATIVE_SKIP_BUILD=1); ${unavailable}`);
    return;
  }
  const gyp = nodeGyp();
  const dir = nodeDir();
  if (!gyp || !dir) {
    const why = !gyp ? 'node-gyp not found' : 'Node headers not found next to node';
    console.log(`${name}: not built (${why}); ${unavailable}`);
    return;
  }
  let r = build(gyp, dir, {});
  let retried = false;
  if (r.status !== 0 && retryEnv) {
    retried = true;
    const [key, value] = retryEnv.split('=');
    r = build(gyp, dir, { [key]: value });
  }
  if (r.status !== 0) {
    const out = `${r.stderr || ''}${r.stdout || ''}`;
    const why = out.split('\n').find((l) => /error/i.test(l)) ?? `exit ${r.status}`;
    console.log(`${name}: build failed (${why.trim()}); ${unavailable}`);
    return;
  }
  console.log(`${name}: built${retried ? ` with ${retryEnv}` : ''}`);
}

try {
  main();
} catch (e) {
  console.log(`${name}: build skipped (${e && e.message}); ${unavailable}`);
}
process.exitCode = 0;
