/**
 * Every `--help` example names files that exist: configs and examples of this repository, and run directories
 * (`runs/<name>`, `runs/sweeps/<name>`) that a shipped config of that name writes. Every command and subcommand's
 * help, crawled from `vtx --help`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../train/test/faults/lib/child.js';
import { captureCli } from './helpers/cli.js';

const io = captureCli();

/** `vtx ...path --help` as text (yargs prints help with console.log). */
async function help(path: string[]): Promise<string> {
  let text = '';
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void (text += `${a.join(' ')}\n`));
  try {
    expect(await io.run(...path, '--help')).toBe(0);
  } finally {
    log.mockRestore();
  }
  return text + io.out;
}

/** The subcommands a help text lists under "Commands:" (`vtx data build  …` -> 'build'). */
function subcommands(text: string, path: string[]): string[] {
  const section = text.split(/\nCommands:\n/)[1]?.split(/\n\n/)[0] ?? '';
  const prefix = ['vtx', ...path].join(' ');
  return section
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${prefix} `))
    .map((l) => l.slice(prefix.length + 1).split(/\s/)[0]!)
    .filter((c) => c && !c.startsWith('[') && !c.startsWith('<'));
}

/** The `name:` of every YAML under configs/ (experiments, sweeps, ablations). */
function configNames(dir = join(REPO_ROOT, 'configs')): Set<string> {
  const names = new Set<string>();
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) for (const n of configNames(p)) names.add(n);
    else if (e.endsWith('.yaml')) {
      const m = /^name:\s*([\w.-]+)/m.exec(readFileSync(p, 'utf8'));
      if (m) names.add(m[1]!);
    }
  }
  return names;
}

describe('--help examples', () => {
  it('name configs and examples that exist, and runs a shipped config writes', async () => {
    const names = configNames();
    const seen: string[] = [];
    const queue: string[][] = [[]];
    while (queue.length) {
      const path = queue.shift()!;
      const text = await help(path);
      seen.push(path.join(' '));
      for (const sub of subcommands(text, path)) queue.push([...path, sub]);
      const examples = (text.split(/\nExamples:\n/)[1] ?? '').split('\n').filter((l) => /^\s+vtx /.test(l));
      for (const line of examples) {
        for (const word of line.trim().split(/\s+/)) {
          if (/^(configs|examples)\//.test(word) && /\.(ya?ml|ts)$/.test(word))
            expect(existsSync(join(REPO_ROOT, word)), `${line.trim()}: ${word}`).toBe(true);
          const run = /^runs\/(?:sweeps\/)?([\w.-]+)$/.exec(word);
          if (run && word !== 'runs') expect(names, `${line.trim()}: ${word}`).toContain(run[1]);
        }
      }
    }
    expect(seen).toEqual(expect.arrayContaining(['', 'train', 'sweep report', 'data build videos', 'judge']));
  });

  it('data build videos and frames describe every option, with its default from the builder spec', async () => {
    for (const kind of ['videos', 'frames']) {
      const text = await help(['data', 'build', kind]);
      const options = (text.split(/\nOptions:\n/)[1] ?? '')
        .split('\n')
        .filter((l) => /^\s+(-\w, )?--/.test(l));
      expect(options.length).toBeGreaterThan(kind === 'videos' ? 12 : 8);
      for (const line of options) expect(line, `${kind}: ${line}`).toMatch(/^\s+(-\w, )?--[\w-]+\s+[^\s[]/);
    }
    const videos = await help(['data', 'build', 'videos']);
    expect(videos).toMatch(/--frames\s+frames per clip \(default 16\)/);
    expect(videos).toMatch(/--concurrency\s+decoder worker threads \(default 2\)/);
  });
});
