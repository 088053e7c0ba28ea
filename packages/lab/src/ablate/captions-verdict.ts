/**
 * Descriptive vs terse captions (DALL-E 3, Sora's re-captioning), judged by an attribute classifier: how often the
 * judge reads, in each arm's samples, the attributes their prompts asked for, on held-out attribute combinations
 * (the runs' evaluation: `sample/acc/<attribute>`, `sample/acc/mean`) and, when scored, in distribution.
 * Claims, each judged by the rule of statistics.ts (seeds resampled, each rate with its binomial noise over the
 * judged samples; the mean over k attributes as a rate over k·n, treating them as independent, which they are not
 * quite): descriptive ahead of terse on the mean of every set of prompts, and on every held-out attribute the judge
 * reads reliably. The judge's own validation accuracy per attribute (a judge stage's `val/acc/<attribute>`) is the
 * ceiling of what it can read.
 */
import type { ReportRow, SweepReport } from '../sweep/report.js';
import { armsOf, better, fmt, mean, meanInterval, type Arm, type Claim } from './statistics.js';
import type { VerdictResult } from './types.js';
import { claimsVerdict, incomplete, judgedSamples, SHAPE_CHANCE } from './verdicts.js';

export interface CaptionsVerdictOptions {
  /** The axis with the two arms (default `data.caption`). */
  key?: string;
  /**
   * The arm claimed ahead and the one it is compared with: their values on `key` (default `descriptive` and `terse`),
   * which also name them in the report.
   */
  arms?: { ahead: string; behind: string };
  /**
   * The attributes whose combinations are held out of training. The runs' own evaluation (`sample/acc/<attribute>`)
   * prompts only such combinations (a synthetic `split: holdout`).
   */
  heldOut: readonly string[];
  /**
   * The name of a second scoring on in-distribution prompts (`<name>/acc/<attribute>`, `<name>/frechet` in the rows:
   * an ablation's `scores`), when there is one.
   */
  inDistribution?: string;
  /** Samples per arm, seed and set (default: `judgedSamples(report)`). */
  samples?: number;
  /** The judge reads an attribute reliably when its own validation accuracy is at least this (default 0.8). */
  reliable?: number;
}

interface PromptSet {
  label: string;
  prefix: string;
}

const f2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(2));

/** What the table and notes read: the prompt sets, the attributes, the judge's ceilings and the arms per metric. */
interface Reading {
  opts: CaptionsVerdictOptions;
  /** Samples per arm, seed and set. */
  n: number;
  reliable: number;
  sets: PromptSet[];
  attrs: string[];
  /** Held-out attributes the judge reads reliably. */
  heldOut: string[];
  judge: ReportRow | undefined;
  /** The two arms' names: the one claimed ahead (descriptive) and the other (terse). */
  names: { ahead: string; behind: string };
  /** The ahead and behind arms of one attribute's accuracy in one prompt set (`mean`: a rate over k·n). */
  pair: (set: PromptSet, a: string) => [Arm | undefined, Arm | undefined];
  /** An arm's mean over seeds of a metric. */
  meanOf: (arm: 'ahead' | 'behind', k: string) => number | undefined;
}

const ceiling = (r: Reading, a: string) => r.judge?.final[`val/acc/${a}`];
const isReliable = (r: Reading, a: string) => (ceiling(r, a) ?? 0) >= r.reliable;

/** Per attribute: chance, the judge's ceiling, and per set both arms' means and the difference's interval. */
function table(r: Reading): string[] {
  const cells = (a: string) =>
    r.sets.flatMap((set) => {
      const [d, t] = r.pair(set, a);
      if (!d || !t) return ['n/a', 'n/a'];
      const c = better(d, t, true);
      const i = c.interval!;
      const g = `${i.estimate >= 0 ? '+' : '−'}${Math.abs(i.estimate).toFixed(2)}`;
      return [
        `${f2(mean(d.values))} / ${f2(mean(t.values))}`,
        `${c.status === 'unresolved' ? g : `**${g}**`} [${i.lo.toFixed(2)}, ${i.hi.toFixed(2)}]`,
      ];
    });
  return [
    `| attribute | chance | judge's validation accuracy | ${r.sets.map((set) => `${set.label}: ${r.names.ahead} / ${r.names.behind} | difference [95% interval]`).join(' | ')} |`,
    `| --- | ---: | ---: | ${r.sets.map(() => '---: | ---:').join(' | ')} |`,
    ...r.attrs.map(
      (a) =>
        `| ${a}${r.opts.heldOut.includes(a) ? ' (held out in combination)' : ''}${isReliable(r, a) ? '' : ' †'} | ${f2(SHAPE_CHANCE[a])} | ${f2(ceiling(r, a))} | ${cells(a).join(' | ')} |`,
    ),
    `| **mean** | | ${f2(r.judge?.final['val/acc'])} | ${cells('mean').join(' | ')} |`,
  ];
}

/** The other measures (Fréchet, pixel readers), the whole held-out combination, and what the judge cannot read. */
function notes(r: Reading): string[] {
  const { opts } = r;
  const other = (label: string, k: string, note: string) => {
    const d = r.meanOf('ahead', k);
    const t = r.meanOf('behind', k);
    return d !== undefined && t !== undefined
      ? [
          `- ${label}: ${r.names.ahead} ${fmt(d, 4)}, ${r.names.behind} ${fmt(t, 4)} (${note}; mean over seeds).`,
        ]
      : [];
  };
  // the fraction of samples right on every held-out attribute at once is at least Σ acc - (k - 1)
  const together = (arm: 'ahead' | 'behind') =>
    Math.max(
      0,
      opts.heldOut.reduce((s, a) => s + (r.meanOf(arm, `sample/acc/${a}`) ?? NaN), 0) -
        (opts.heldOut.length - 1),
    );
  // held-out attributes the ahead (descriptive) model does not draw above chance even on prompts seen in training
  const inSet = r.sets[1];
  const notLearned = inSet
    ? r.heldOut.flatMap((a) => {
        const d = r.pair(inSet, a)[0];
        return d !== undefined && meanInterval(d).lo <= (SHAPE_CHANCE[a] ?? 0) ? [{ a, d }] : [];
      })
    : [];
  const unreadable = r.attrs.filter((a) => !isReliable(r, a));
  return [
    ...other(
      'Fréchet distance to the real held-out clips in the judge’s features',
      'sample/frechet',
      'lower is closer',
    ),
    ...(inSet
      ? other(
          'Fréchet distance to real in-distribution clips',
          `${opts.inDistribution}/frechet`,
          'lower is closer',
        )
      : []),
    ...other(
      'Fraction of held-out samples showing one subject in every frame (closed-form pixel reader, 1 on real clips)',
      'sample/one-subject',
      'higher is better',
    ),
    ...other(
      'Direction of motion of held-out samples read by the closed-form pixel reader instead of the judge',
      'sample/direction-acc',
      'chance 0.25',
    ),
    ...(opts.heldOut.every((a) => r.attrs.includes(a)) && opts.heldOut.length > 1
      ? [
          `- Held-out samples showing the whole held-out combination (${opts.heldOut.join(' and ')} both right), at least: ${r.names.ahead} ${f2(together('ahead'))}, ${r.names.behind} ${f2(together('behind'))} (a lower bound from the per-attribute accuracies).`,
        ]
      : []),
    ...(unreadable.length
      ? [
          '',
          `The judge reads ${unreadable.map((a) => `${a} (${f2(ceiling(r, a))}, chance ${f2(SHAPE_CHANCE[a])})`).join(', ')} below ${r.reliable} on real clips: sample accuracy there says little about the generator.`,
        ]
      : []),
    ...notLearned.map(
      ({ a, d }) =>
        `On ${a} the ${r.names.ahead} model is not above chance in distribution either (${f2(mean(d.values))}, chance ${f2(SHAPE_CHANCE[a])}; the lower end of its interval is at or below chance): it has not learned to draw the asked-for ${a}, so the held-out result on ${a} says nothing about composition.`,
    ),
  ];
}

export function captionsVerdict(report: SweepReport, opts: CaptionsVerdictOptions): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const key = opts.key ?? 'data.caption';
  const names = opts.arms ?? { ahead: 'descriptive', behind: 'terse' };
  const n = opts.samples ?? judgedSamples(report);
  const armsFor = (metric: string, samples = n) =>
    armsOf(report, { key, value: (r) => r.final[metric], samples });
  const base = armsFor('sample/acc/mean');
  const desc = base.get(names.ahead);
  const terse = base.get(names.behind);
  if (!desc || !terse) {
    const any = report.rows.some((r) => r.final['sample/acc/mean'] !== undefined);
    return {
      verdict: 'inconclusive',
      lines: [
        any
          ? `The sweep needs a ${names.ahead} and a ${names.behind} run (${key}).`
          : 'The runs have no sample/acc/mean: their evaluation scored no samples (eval.judge).',
      ],
    };
  }
  const attrs = Object.keys(desc.rows[0]!.final)
    .filter((k) => k.startsWith('sample/acc/') && k !== 'sample/acc/mean')
    .map((k) => k.slice('sample/acc/'.length));
  const inDist = opts.inDistribution;
  const sets: PromptSet[] = [
    { label: 'held-out combinations', prefix: 'sample/' },
    ...(inDist && report.rows.some((r) => r.final[`${inDist}/acc/mean`] !== undefined)
      ? [{ label: 'in distribution', prefix: `${inDist}/` }]
      : []),
  ];
  const reading: Reading = {
    opts,
    n,
    reliable: opts.reliable ?? 0.8,
    sets,
    attrs,
    heldOut: [],
    names,
    judge: (report.stages ?? []).find((s) => Object.keys(s.final).some((k) => k.startsWith('val/acc/'))),
    pair: (set, a) => {
      const arms = armsFor(`${set.prefix}acc/${a}`, a === 'mean' ? n * Math.max(1, attrs.length) : n);
      return [arms.get(names.ahead), arms.get(names.behind)];
    },
    meanOf: (arm, k) => {
      const rows = (arm === 'ahead' ? desc : terse).rows.filter((r) => r.final[k] !== undefined);
      return rows.length ? mean(rows.map((r) => r.final[k]!)) : undefined;
    },
  };
  reading.heldOut = opts.heldOut.filter((a) => attrs.includes(a) && isReliable(reading, a));
  const claimOf = (set: PromptSet, a: string, text: string): Claim | undefined => {
    const [d, t] = reading.pair(set, a);
    return d && t ? better(d, t, true, text) : undefined;
  };
  const claims = [
    ...sets.map((set) => claimOf(set, 'mean', `${names.ahead} ahead on the mean, ${set.label}`)),
    ...reading.heldOut.map((a) =>
      claimOf(sets[0]!, a, `${names.ahead} ahead on ${a}, held-out combinations`),
    ),
  ].filter((c): c is Claim => c !== undefined);
  const seeds = Math.min(desc.values.length, terse.values.length);
  return claimsVerdict(claims, [
    `Sample attribute accuracy: how often the judge reads, in ${n} samples per arm, seed and set, the attribute the prompt asked for; each arm is prompted with the reference rows' captions in its own style (terse: only the shape). Held-out combinations: the runs' own evaluation (\`eval.judge\`), whose rows all combine ${opts.heldOut.join(' and ')} in ways no training clip does.${sets.length > 1 ? ' In distribution: the same judge and sampler on rows of the training split (combinations seen in training, other clips).' : ' In-distribution prompts were not scored.'} Means over ${seeds} seed${seeds === 1 ? '' : 's'}; difference = ${names.ahead} − ${names.behind} with its 95% bootstrap interval, in bold when resolved. †: the judge reads it below ${reading.reliable} on real clips.`,
    '',
    ...table(reading),
    '',
    ...notes(reading),
  ]);
}
