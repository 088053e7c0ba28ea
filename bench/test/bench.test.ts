/**
 * The bench harness's rules (bench/measure.ts) and its workloads file: alternation order, best/median, the
 * load gate that withholds ratios on a busy machine, bench/peer/workloads.json mapping onto zoo models, and the
 * `default` workload being the step of configs/default.yaml, given to the peer in a copy of its file.
 */
import { readFileSync } from 'node:fs';
import { ModelConfig, modelCost } from '@vtx/models';
import { readConfigTree } from '@vtx/config';
import { describe, expect, it } from 'vitest';
import { alternation, loadGate, QUIET_LOAD_PER_CORE, ratio, summarize } from '../measure.js';
import { loadWorkloads, peerWorkloads, workloadCost, workloadModel, WORKLOADS_FILE } from '../workloads.js';

describe('bench/measure', () => {
  it('alternates implementations A B A B', () => {
    expect(alternation(['torch', 'native', 'wasm'], 2)).toEqual([
      'torch',
      'native',
      'wasm',
      'torch',
      'native',
      'wasm',
    ]);
    expect(() => alternation(['a'], 0)).toThrow(/positive integer/);
  });

  it('reports the best and the median', () => {
    expect(summarize([0.3, 0.1, 0.2])).toEqual({ best: 0.1, median: 0.2, rounds: 3 });
    expect(summarize([0.4, 0.1, 0.2, 0.3])).toEqual({ best: 0.1, median: 0.25, rounds: 4 });
    expect(() => summarize([])).toThrow(/no values/);
    expect(() => summarize([1, NaN])).toThrow(/non-finite/);
  });

  it('withholds ratios above 0.5 load per core and says why', () => {
    const quiet = loadGate(0.9, 2);
    expect(quiet).toMatchObject({ quiet: true, perCore: 0.45 });
    expect(quiet.reason).toBeUndefined();
    const edge = loadGate(2 * QUIET_LOAD_PER_CORE, 2);
    expect(edge.quiet).toBe(true);
    const busy = loadGate(1.2, 2);
    expect(busy.quiet).toBe(false);
    expect(busy.reason).toMatch(/load average 1\.20 on 2 cores \(0\.60 per core\).*not quiet/);

    const peer = summarize([1.0, 1.2, 1.1]);
    const ours = summarize([0.5, 0.8, 0.6]);
    expect(ratio(peer, ours, quiet)).toEqual({ ratioBest: 2, ratioMedian: 1.833 });
    expect(ratio(peer, ours, busy)).toEqual({ ratioWithheld: busy.reason });
    expect(ratio(undefined, ours, quiet)).toEqual({ ratioWithheld: 'no PyTorch measurement' });
  });

  it('never compares a GPU emulated on the CPU with PyTorch, even on a quiet machine', () => {
    const quiet = loadGate(0.2, 2);
    const peer = summarize([1.0]);
    const ours = summarize([9.0]);
    expect(ratio(peer, ours, quiet, 'SwiftShader Device (Subzero)')).toEqual({
      ratioWithheld: 'emulated GPU (SwiftShader Device (Subzero)): never compared with PyTorch',
    });
    expect(ratio(peer, ours, quiet)).toEqual({ ratioBest: 0.111, ratioMedian: 0.111 });
  });
});

describe('bench/peer/workloads.json', async () => {
  const workloads = await loadWorkloads();

  it('has unique names, and every workload maps onto a zoo model with its token count', () => {
    expect(new Set(workloads.map((w) => w.name)).size).toBe(workloads.length);
    for (const w of workloads) {
      const tokens = w.clip.slice(0, 3).reduce((a, n, i) => a * (n / w.patch[i]!), 1);
      const { tokens: perStep, params } = workloadCost(w);
      expect(perStep, w.name).toBe(w.batch * tokens);
      expect(params, w.name).toBeGreaterThan(0);
    }
  });

  it('default is the training step of configs/default.yaml', async () => {
    const w = workloads.find((x) => x.name === 'default');
    expect(w, 'default missing').toBeDefined();
    expect(peerWorkloads().map((x) => x.name)).not.toContain('default'); // the peer's file stays as shared
    const tree = await readConfigTree(new URL('../../configs/default.yaml', import.meta.url).pathname);
    const cfg = tree.value as {
      data: { batchSize: number; dataset: { frames: number; height: number; width: number } };
      model: unknown;
    };
    const fromYaml = ModelConfig.parse(cfg.model);
    const fromBench = workloadModel(w!);
    expect(fromBench).toEqual(fromYaml);
    const { frames, height, width } = cfg.data.dataset;
    expect(w!.clip).toEqual([frames, height, width, 3]);
    expect(w!.batch).toBe(cfg.data.batchSize);
    expect(modelCost(fromBench, w!.clip).tokens).toBe(64);
    const tiny = workloads.find((x) => x.name === 'default-tiny')!; // the 128-wide default's step, as the peer has it
    expect({ ...w!, name: tiny.name, width: tiny.width, heads: tiny.heads, depth: tiny.depth }).toEqual(tiny);
  });

  it('is the file torch_reference.py reads (same directory)', () => {
    const py = readFileSync(new URL('../peer/torch_reference.py', import.meta.url), 'utf8');
    expect(py).toMatch(/os\.path\.join\(HERE, "workloads\.json"\)/);
    expect(WORKLOADS_FILE.pathname.endsWith('bench/peer/workloads.json')).toBe(true);
  });
});
