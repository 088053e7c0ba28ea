/**
 * The judge the descriptive-captions ablation needs: given generated clips and the attributes their captions asked
 * for, how often does each asked-for attribute show? (An attribute classifier — a ViViT trained on real clips — is
 * the judge, issue 9.) This module only states the interface and looks for an implementation; it implements none.
 */
import type { RunSummary } from '../train.js';

export interface AttributeJudgement {
  /** Fraction of generated clips whose judged attribute equals the requested one, per attribute. */
  perAttribute: Record<string, number>;
  /** Fraction with every requested attribute right. */
  allCorrect: number;
  /** The same two on prompts from attribute combinations held out of training. */
  heldOut: { perAttribute: Record<string, number>; allCorrect: number };
}

export interface AttributeJudge {
  /** Sample from a trained caption-conditioned run and judge the clips. */
  judgeRun(run: RunSummary, opts: { samples: number; seed: number }): Promise<AttributeJudgement>;
}

/** The environment variable naming a module whose `attributeJudge` export implements `AttributeJudge`. */
export const JUDGE_MODULE_ENV = 'VTX_ATTRIBUTE_JUDGE';

/** Load the judge, or explain why there is none. */
export async function loadJudge(): Promise<AttributeJudge | string> {
  const spec = process.env[JUDGE_MODULE_ENV];
  if (!spec)
    return `no attribute judge: set ${JUDGE_MODULE_ENV} to a module exporting 'attributeJudge' (the ViViT attribute classifier of issue 9 is not in the repository yet)`;
  const mod = (await import(spec)) as { attributeJudge?: AttributeJudge };
  return mod.attributeJudge ?? `${spec} has no 'attributeJudge' export`;
}
