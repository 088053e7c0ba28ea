// `install` lifecycle script: build the addon from source with node-gyp and the machine's compiler, against
// the running Node's own headers (no downloads). It never fails the install: when the build cannot run it logs
// one line and exits 0, and @vtx/backend-native then reports "native unavailable" at run time (vtx falls back
// to wasm). A failed AVX2 build is retried once as the portable build.
/* global process, console, require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

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
    console.log('@vtx/backend-native: build skipped (VTX_NATIVE_SKIP_BUILD=1); native unavailable');
    return;
  }
  const gyp = nodeGyp();
  const dir = nodeDir();
  if (!gyp || !dir) {
    console.log(
      `@vtx/backend-native: not built (${!gyp ? 'node-gyp not found' : 'Node headers not found next to node'}); native unavailable, vtx will use wasm`,
    );
    return;
  }
  let r = build(gyp, dir, {});
  let portable = false;
  if (r.status !== 0) {
    portable = true;
    r = build(gyp, dir, { VTX_NATIVE_PORTABLE: '1' });
  }
  if (r.status !== 0) {
    const why =
      `${r.stderr || ''}${r.stdout || ''}`.split('\n').find((l) => /error/i.test(l)) ?? `exit ${r.status}`;
    console.log(`@vtx/backend-native: build failed (${why.trim()}); native unavailable, vtx will use wasm`);
    return;
  }
  console.log(`@vtx/backend-native: built ${portable ? 'portable' : 'native'} kernels`);
}

try {
  main();
} catch (e) {
  console.log(`@vtx/backend-native: build skipped (${e && e.message}); native unavailable`);
}
process.exitCode = 0;
