/**
 * Run the real `vtx` CLI in a child process (from sources, like `pnpm vtx`), optionally killing or signalling it
 * when a condition on the file system holds plus a delay: the harness behind the kill-at-any-moment and
 * graceful-stop tests.
 *
 *   const r = await runVtx(['train', '--config', cfg, '--out', run], {
 *     env: { VTX_BACKEND: 'wasm' },
 *     kill: { when: () => existsSync(join(run, 'metrics.jsonl')), delayMs: 137, signal: 'SIGKILL' },
 *   });
 *   r.killed  // true when the signal was sent before the process exited by itself
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The CLI's process entry (@vtx/cli's bin.ts; cli.ts in older trees) and the repository root (where `tsx` resolves). */
const entry = (name: string) => fileURLToPath(new URL(`../../../../cli/src/${name}`, import.meta.url));
export const CLI_PATH = existsSync(entry('bin.ts')) ? entry('bin.ts') : entry('cli.ts');
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

export interface KillPlan {
  /** Polled every `pollMs`; once true, the signal goes after `delayMs`. Default: at once. */
  when?: () => boolean;
  delayMs?: number;
  signal?: NodeJS.Signals;
  pollMs?: number;
}

export interface VtxResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The kill plan's signal was sent while the process was still running. */
  killed: boolean;
  seconds: number;
}

export interface RunVtxOptions {
  env?: Record<string, string>;
  kill?: KillPlan;
  /** Hard limit: SIGKILL after this many ms (default 120 s); the result then has signal 'SIGKILL'. */
  timeoutMs?: number;
  cwd?: string;
}

/** Run `vtx <args>` to completion (or until killed). Never rejects for a non-zero exit. */
export function runVtx(args: readonly string[], opts: RunVtxOptions = {}): Promise<VtxResult> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--conditions=@vtx/source', '--import', 'tsx', CLI_PATH, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, VTX_DEBUG: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let exited = false;
  let killed = false;
  const timers: NodeJS.Timeout[] = [];
  const send = (signal: NodeJS.Signals) => {
    if (exited) return;
    killed = true;
    child.kill(signal);
  };
  const plan = opts.kill;
  if (plan) {
    const fire = () => {
      if (plan.delayMs) timers.push(setTimeout(() => send(plan.signal ?? 'SIGKILL'), plan.delayMs));
      else send(plan.signal ?? 'SIGKILL');
    };
    if (!plan.when) fire();
    else {
      const poll = setInterval(() => {
        if (exited) return clearInterval(poll);
        if (plan.when!()) {
          clearInterval(poll);
          fire();
        }
      }, plan.pollMs ?? 10);
      timers.push(poll);
    }
  }
  timers.push(setTimeout(() => (exited ? undefined : child.kill('SIGKILL')), opts.timeoutMs ?? 120_000));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = true;
      timers.forEach((t) => clearTimeout(t));
      resolve({ code, signal, stdout, stderr, killed, seconds: (performance.now() - t0) / 1000 });
    });
  });
}
