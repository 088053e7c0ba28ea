/**
 * `vtx info` and the preset names: `--list` shows every preset (filtered by a substring, any case) with its
 * parameters; a name matches ignoring case; an unknown one is a usage error with the closest name and where to see
 * them all, never a truncated list.
 */
import { PRESETS } from '@vtx/models';
import { describe, expect, it } from 'vitest';
import { captureCli } from './helpers/cli.js';

const io = captureCli();

describe('vtx info presets', () => {
  it('--list lists every preset; a filter keeps those containing it, any case', async () => {
    expect(await io.run('info', '--list', '--json')).toBe(0);
    const all = JSON.parse(io.out) as { name: string; params: number }[];
    expect(all.map((r) => r.name)).toEqual(Object.keys(PRESETS));
    expect(all.find((r) => r.name === 'DiT-XL/2')!.params).toBe(675_129_632);
    io.out = '';
    expect(await io.run('info', '--list', 'VIVIT-b')).toBe(0);
    const names = io.out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(Object.keys(PRESETS).filter((n) => n.startsWith('ViViT-B')));
    expect(await io.run('info', '--list', 'nothing-like-it')).toBe(2);
  });

  it('matches a preset name ignoring case', async () => {
    expect(await io.run('info', 'dit-xl/2', '--json')).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ source: 'preset DiT-XL/2', params: 675_129_632 });
  });

  it('an unknown name: exit 2 with the closest preset and --list, no truncated list', async () => {
    expect(await io.run('info', 'DiT-XXL/2')).toBe(2);
    expect(io.err).toBe(
      "error: 'DiT-XXL/2' is neither a file nor a model preset (did you mean 'DiT-XL/2'?); " +
        `'vtx info --list' lists the ${Object.keys(PRESETS).length} presets\n`,
    );
  });
});
