/**
 * The Vulkan driver search asked before Dawn is created (src/backend/vulkan-drivers.ts): the loader's folders and
 * variables on a fake file system, and backend selection passing webgpu over without importing Dawn where nothing
 * is found (Dawn would print the loader's "Found no drivers!" warnings), while `--backend webgpu` still tries it.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@vtx/core';
import { icdSearchDirs, vulkanDrivers } from '../../src/backend/vulkan-drivers.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** A fake file system: folder -> entries; any other folder does not exist. */
const fakeFs =
  (tree: Record<string, string[]>) =>
  (dir: string): string[] => {
    const entries = tree[dir];
    if (!entries) throw new Error(`ENOENT: ${dir}`);
    return entries;
  };

describe('the Vulkan loader search', () => {
  it('searches the XDG and /etc icd.d folders in the loader order, with the XDG defaults when unset', () => {
    expect(icdSearchDirs({}, '/h')).toEqual([
      '/h/.config/vulkan/icd.d',
      '/etc/xdg/vulkan/icd.d',
      '/etc/vulkan/icd.d',
      '/h/.local/share/vulkan/icd.d',
      '/usr/local/share/vulkan/icd.d',
      '/usr/share/vulkan/icd.d',
    ]);
    const env = {
      XDG_CONFIG_HOME: '/c',
      XDG_CONFIG_DIRS: '/x:/y',
      XDG_DATA_HOME: '/d',
      XDG_DATA_DIRS: '/p::/q',
    };
    expect(icdSearchDirs(env, '/h')).toEqual(
      ['/c', '/x', '/y', '/etc', '/d', '/p', '/q'].map((d) => `${d}/vulkan/icd.d`),
    );
  });

  it('finds the .json manifests of existing folders only', () => {
    const ls = fakeFs({
      '/usr/share/vulkan/icd.d': ['nvidia_icd.json', 'README', 'intel_icd.x86_64.json'],
      '/etc/vulkan/icd.d': [],
    });
    expect(vulkanDrivers({}, '/h', ls)).toEqual([
      '/usr/share/vulkan/icd.d/nvidia_icd.json',
      '/usr/share/vulkan/icd.d/intel_icd.x86_64.json',
    ]);
    expect(vulkanDrivers({}, '/h', fakeFs({ '/etc/vulkan/icd.d': [] }))).toEqual([]);
    expect(vulkanDrivers({}, '/h', fakeFs({}))).toEqual([]);
  });

  it('VK_DRIVER_FILES (else VK_ICD_FILENAMES) replaces the search; VK_ADD_DRIVER_FILES adds to either', () => {
    const ls = fakeFs({ '/usr/share/vulkan/icd.d': ['a.json'] });
    expect(vulkanDrivers({ VK_ICD_FILENAMES: '/opt/sw.json' }, '/h', ls)).toEqual(['/opt/sw.json']);
    expect(vulkanDrivers({ VK_DRIVER_FILES: '/n.json', VK_ICD_FILENAMES: '/o.json' }, '/h', ls)).toEqual([
      '/n.json',
    ]);
    expect(vulkanDrivers({ VK_ADD_DRIVER_FILES: '/b.json:/c.json' }, '/h', ls)).toEqual([
      '/usr/share/vulkan/icd.d/a.json',
      '/b.json',
      '/c.json',
    ]);
    expect(vulkanDrivers({ VK_ADD_DRIVER_FILES: '/b.json' }, '/h', fakeFs({}))).toEqual(['/b.json']);
  });
});

describe('backend selection without a Vulkan driver', () => {
  // The machine's own /etc/vulkan/icd.d is always searched; every other folder is pointed at an empty one here.
  const etc = (() => {
    try {
      return readdirSync('/etc/vulkan/icd.d').filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
  })();
  if (process.platform !== 'linux' || etc.length)
    console.warn(
      'SKIPPED selection without a Vulkan driver: ' +
        (process.platform !== 'linux'
          ? 'not Linux'
          : `this machine has drivers in /etc/vulkan/icd.d (${etc})`),
    );

  it.skipIf(process.platform !== 'linux' || etc.length > 0)(
    'passes webgpu over without importing Dawn; asked for by name, it still tries Dawn',
    async () => {
      const empty = mkdtempSync(join(tmpdir(), 'vtx-no-vulkan-'));
      const keys = ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES', 'HOME'];
      const xdg = ['XDG_CONFIG_HOME', 'XDG_CONFIG_DIRS', 'XDG_DATA_HOME', 'XDG_DATA_DIRS'];
      const saved = Object.fromEntries([...keys, ...xdg].map((k) => [k, process.env[k]]));
      const imported: string[] = [];
      const importer = (s: string) => {
        imported.push(s);
        if (s === 'webgpu') return Promise.reject(new Error('fake Dawn: not installed'));
        return import(s);
      };
      try {
        for (const k of keys) delete process.env[k];
        for (const k of xdg) process.env[k] = empty;
        process.env['HOME'] = empty;
        const auto = await selectBackend({ order: ['webgpu', 'cpu'], importer });
        expect(auto.name).toBe('cpu');
        expect(auto.skipped[0]!.name).toBe('webgpu');
        expect(auto.skipped[0]!.reason).toMatch(
          /^no Vulkan driver \(no ICD manifest in .*\/etc\/vulkan\/icd\.d/,
        );
        expect(imported).not.toContain('webgpu');
        // a driver named by the variable: Dawn is tried (here the fake one, which is missing)
        process.env['VK_ICD_FILENAMES'] = join(empty, 'some_icd.json');
        const named = await selectBackend({ order: ['webgpu', 'cpu'], importer });
        expect(named.skipped[0]!.reason).toMatch(/fake Dawn: not installed/);
        delete process.env['VK_ICD_FILENAMES'];
        // by name, without a driver: Dawn is tried all the same
        imported.length = 0;
        await expect(selectBackend({ override: 'webgpu', importer })).rejects.toThrow(
          /fake Dawn: not installed/,
        );
        expect(imported).toContain('webgpu');
      } finally {
        for (const [k, v] of Object.entries(saved))
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        rmSync(empty, { recursive: true, force: true });
      }
    },
  );
});
