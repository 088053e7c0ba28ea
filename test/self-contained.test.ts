/**
 * The repository is self-contained: a clone gets the repository and nothing beside it. Every tracked (and every
 * new, not ignored) text file is scanned, and the test fails on
 *
 * - a citation of notes that live outside the repository: a bare `shared/...` path or `../shared` (the folder of
 *   research notes and benchmark files that developers had beside the project), or a `research/<name>.md`. The facts
 *   those notes held are in docs/notes/, which is what files cite instead;
 * - an absolute path of one machine used as a fixed location: home directories (`/home/`, `/Users/`, `/root/`,
 *   `C:\Users\`), a build machine's work folders (`/work/`, `/workspace/`, `/mnt/`, `/scratch/`) and fixed
 *   temporary directories (`/tmp/...`: tests use mkdtemp under os.tmpdir(), scripts `$TMPDIR`, docs `mktemp -d`).
 *
 * System paths that are the same on every Debian machine (`/usr/bin/python3`, `/etc/munge/munge.key`) are not
 * workstation paths and are not flagged. This file is not scanned (it spells the patterns out).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SELF = fileURLToPath(import.meta.url);

/** Not preceded by a path or word character: the pattern starts a path rather than continuing one. */
const START = String.raw`(?:^|[^\w./~])`;

const RULES: { what: string; re: RegExp }[] = [
  { what: 'cites notes outside the repository', re: new RegExp(`${START}shared/|\\.\\./shared\\b`) },
  { what: 'cites notes outside the repository', re: new RegExp(`${START}research/[\\w.-]+\\.md`) },
  // the notes that lived beside the project, by name (none of the repository's files is called so)
  {
    what: 'cites notes outside the repository',
    re: /\b(?:tfjs-in-node|machine-notes|style-anchors|prior-art|architecture-review)\b/,
  },
  {
    what: 'names a directory of one machine',
    re: new RegExp(`${START}/(?:home|Users|root|work|workspace|mnt|scratch)/|\\b[A-Za-z]:\\\\Users\\\\`),
  },
  { what: 'names a fixed temporary directory', re: new RegExp(`${START}/tmp/`) },
];

/**
 * Lines allowed to match, as exact substrings, each with why. Keep this short: prefer fixing the file.
 */
const ALLOWED: { text: string; why: string }[] = [
  {
    text: `'/tmp/s'`,
    why: 'sweep/expand.test.ts: an example absolute path handed to insideDir(), pure path arithmetic',
  },
  {
    text: `'/tmp/sweeps/`,
    why: "sweep/stages.test.ts, judge-stage.test.ts: loadSweep's `dir` only prefixes the runs' paths; nothing is written",
  },
];

interface Finding {
  line: number;
  what: string;
  text: string;
}

/** The lines of a file's text that break a rule above, each with the first rule it breaks (1-based lines). */
function findings(text: string): Finding[] {
  const out: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    const rule = RULES.find(({ re }) => re.test(line));
    if (rule && !ALLOWED.some((a) => line.includes(a.text)))
      out.push({ line: i + 1, what: rule.what, text: line.trim().slice(0, 160) });
  });
  return out;
}

/** The repository's root and its tracked and new (not ignored) files, or why they cannot be listed. */
function repositoryFiles(): { root: string; files: string[] } | { why: string } {
  try {
    const here = resolve(SELF, '..');
    const root = execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd: here,
      encoding: 'utf8',
    }).trim();
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const files = [...new Set(listed.split('\0'))].filter(
      (f) => f && !f.split('/').includes('node_modules') && existsSync(resolve(root, f)),
    );
    return { root, files };
  } catch (e) {
    return { why: `git cannot list the repository's files (${(e as Error).message.split('\n')[0]})` };
  }
}

describe('the rules', () => {
  it.each([
    ['see shared/research/tfjs-in-node.md §4', 'cites notes outside the repository'],
    ['const peer = "../shared/bench/workloads.json";', 'cites notes outside the repository'],
    ['(research/tfjs-in-node.md §6)', 'cites notes outside the repository'],
    [
      '(no conv3d: it runs at 0.2 GFLOP/s on wasm, see tfjs-in-node.md §2.3)',
      'cites notes outside the repository',
    ],
    ['leaf layers (keras.applications style; see style-anchors §2)', 'cites notes outside the repository'],
    ['# recipe: /work/shared/research/slurm-local.md', 'names a directory of one machine'],
    ['cd /home/alice/vtx && pnpm test', 'names a directory of one machine'],
    ['open /Users/bob/data', 'names a directory of one machine'],
    ['export PATH=/root/.local/bin:$PATH', 'names a directory of one machine'],
    [String.raw`set VTX=C:\Users\carol\vtx`, 'names a directory of one machine'],
    ["process.env['SLURM_CONF'] ??= '/tmp/vtx-slurm/slurm.conf';", 'names a fixed temporary directory'],
    ['DIR="${VTX_SLURM_DIR:-/tmp/vtx-slurm}"', 'names a fixed temporary directory'],
  ])('flags %j', (line, what) => {
    expect(findings(`first line\n${line}\n`)).toEqual([{ line: 2, what, text: line }]);
  });

  it.each([
    'facebookresearch/DiT models.py',
    'docs/notes/arrow-io.md',
    'packages/x/src/shared/util.ts and ./shared/a.ts',
    '/usr/bin/python3 bench/peer/torch_reference.py',
    '[ -f /etc/munge/munge.key ]',
    'DIR="${VTX_SLURM_DIR:-${TMPDIR:-/tmp}/vtx-slurm}"',
    'mkdtempSync(join(tmpdir(), "vtx-"))',
    'https://github.com/org/repo/tree/main/work/x',
    "expect(insideDir('/tmp/s', 'runs', 'a')).toBe('/tmp/s/runs/a');",
  ])('lets %j through', (line) => {
    expect(findings(line)).toEqual([]);
  });
});

describe('the repository', () => {
  const listed = repositoryFiles();
  const why = 'why' in listed ? listed.why : '';
  if (why) console.warn(`SKIPPED self-contained scan: ${why}`);

  it.skipIf(why !== '')('cites nothing outside itself and no directory of one machine', () => {
    if ('why' in listed) return;
    const self = relative(listed.root, SELF);
    const problems: string[] = [];
    let scanned = 0;
    for (const file of listed.files) {
      if (file === self) continue;
      const bytes = readFileSync(resolve(listed.root, file));
      if (bytes.subarray(0, 8000).includes(0)) continue; // binary (images, fixtures)
      scanned++;
      for (const f of findings(bytes.toString('utf8')))
        problems.push(`${file}:${f.line}: ${f.what}: ${f.text}`);
    }
    expect(scanned, 'text files scanned').toBeGreaterThan(100);
    expect(
      problems,
      'cite docs/notes/ instead; use paths relative to the repository or found at run time',
    ).toEqual([]);
  });
});
