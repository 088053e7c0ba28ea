/** Shared pieces of the fault tests: the short/long switch, metrics comparison (tiny configs: ../helpers/tiny.ts). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

/** `pnpm test:faults` sets VTX_FAULTS=long: more faults, more kill points, bigger runs. */
export const LONG = process.env['VTX_FAULTS'] === 'long';

/** Environment of CLI children: the fast wasm backend, no progress bar. */
export const CHILD_ENV = { VTX_BACKEND: 'wasm' };

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `vtx-faults-${tag}-`));
}

/** The training records of a run's metrics.jsonl, by step: loss and grad norm (the numbers resume must reproduce). */
export function trainCurve(runDir: string): Map<number, { loss: number; gradNorm: number }> {
  const out = new Map<number, { loss: number; gradNorm: number }>();
  for (const line of readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { step: number; loss?: number; gradNorm?: number };
    if (r.loss === undefined) continue;
    if (out.has(r.step)) throw new Error(`${runDir}/metrics.jsonl: step ${r.step} logged twice`);
    out.set(r.step, { loss: r.loss, gradNorm: r.gradNorm! });
  }
  return out;
}

export const toYaml = (v: unknown): string => YAML.stringify(v);
