/**
 * Charts for runs and sweeps: Vega-Lite specs rendered headless to SVG by Vega (`new vega.View(…).toSVG()`), and to
 * PNG by resvg. No canvas, no browser: both are plain npm packages (resvg ships a prebuilt binary per platform).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '@vtx/runs';

export interface Axis {
  title: string;
  /** Logarithmic scale (values must be > 0). */
  log?: boolean;
}

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

const WIDTH = 560;
const HEIGHT = 340;

/** What every chart has: the Vega-Lite schema, its title, the size and a white background. */
const frame = (title: string) =>
  ({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
  }) as const;

const scale = (a: Axis) => (a.log ? { type: 'log' as const, nice: false } : { zero: false });

/** Lines, one per series, with a colour legend: loss curves overlaid (DiT Fig. 2 left). */
export function lineChart(opts: { title: string; x: Axis; y: Axis; series: Series[] }): TopLevelSpec {
  const values = opts.series.flatMap((s) =>
    s.points
      .filter((p) => Number.isFinite(p.y) && (!opts.y.log || p.y > 0) && (!opts.x.log || p.x > 0))
      .map((p) => ({ run: s.name, x: p.x, y: p.y })),
  );
  return {
    ...frame(opts.title),
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.x.title, scale: scale(opts.x) },
      y: { field: 'y', type: 'quantitative', title: opts.y.title, scale: scale(opts.y) },
      color: { field: 'run', type: 'nominal', title: 'run', legend: { labelLimit: 320 } },
    },
  };
}

/**
 * Labelled points on (usually log-log) axes with optional fitted lines (one per group, say): metric vs Gflops (DiT
 * Fig. 8), loss vs training compute, two model families against compute.
 */
export function scatterChart(opts: {
  title: string;
  x: Axis;
  y: Axis;
  points: { x: number; y: number; label: string; group?: string }[];
  fits?: { predict: (x: number) => number; label: string }[];
}): TopLevelSpec {
  const pts = opts.points.filter(
    (p) =>
      Number.isFinite(p.x) && Number.isFinite(p.y) && (!opts.x.log || p.x > 0) && (!opts.y.log || p.y > 0),
  );
  const x = { field: 'x', type: 'quantitative' as const, title: opts.x.title, scale: scale(opts.x) };
  const y = { field: 'y', type: 'quantitative' as const, title: opts.y.title, scale: scale(opts.y) };
  const values = pts.map((p) => ({ ...p, group: p.group ?? 'run' }));
  const base = {
    data: { values },
    encoding: { x, y },
  };
  const layer: object[] = [
    {
      ...base,
      mark: { type: 'point', filled: true, size: 70 },
      encoding: { x, y, color: { field: 'group', type: 'nominal', title: null } },
    },
    {
      ...base,
      mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 9 },
      encoding: { x, y, text: { field: 'label', type: 'nominal' } },
    },
  ];
  if (pts.length >= 2) {
    const xs = pts.map((p) => p.x);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    for (const fit of opts.fits ?? []) {
      const line = Array.from({ length: 24 }, (_, i) => {
        const t = i / 23;
        const xv = opts.x.log ? lo * (hi / lo) ** t : lo + (hi - lo) * t;
        return { x: xv, y: fit.predict(xv), fit: fit.label };
      }).filter((p) => Number.isFinite(p.y) && (!opts.y.log || p.y > 0));
      if (!line.length) continue; // a fit with no drawable point (it overflows over this x range): no line, no label
      layer.push({
        data: { values: line },
        mark: { type: 'line', strokeDash: [5, 4], color: '#666' },
        encoding: { x, y, detail: { field: 'fit', type: 'nominal' } },
      });
      layer.push({
        data: { values: [line.at(-1)] },
        mark: { type: 'text', align: 'right', dy: 14, fontSize: 10, color: '#444' },
        encoding: { x, y, text: { field: 'fit', type: 'nominal' } },
      });
    }
  }
  return {
    ...frame(opts.title),
    layer,
  } as TopLevelSpec;
}

/**
 * Bars of one value per category (accuracy per variant, say); `err` draws a ±err whisker on a bar (spread over
 * seeds), `lo`/`hi` a whisker from lo to hi (an interval).
 */
export function barChart(opts: {
  title: string;
  x: string;
  y: Axis;
  bars: { label: string; y: number; err?: number; lo?: number; hi?: number }[];
}): TopLevelSpec {
  const values = opts.bars
    .filter((b) => Number.isFinite(b.y))
    .map((b) => ({ ...b, lo: b.lo ?? b.y - (b.err ?? 0), hi: b.hi ?? b.y + (b.err ?? 0) }));
  const x = {
    field: 'label',
    type: 'nominal',
    title: opts.x,
    sort: null,
    axis: { labelAngle: -30, labelLimit: 200 },
  } as const;
  const y = { field: 'y', type: 'quantitative', title: opts.y.title, scale: scale(opts.y) } as const;
  const whiskers = values.some((b) => b.hi > b.lo);
  return {
    ...frame(opts.title),
    data: { values },
    ...(whiskers
      ? {
          layer: [
            { mark: { type: 'bar' }, encoding: { x, y } },
            {
              mark: { type: 'rule', color: 'black' },
              encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
            },
          ],
        }
      : { mark: { type: 'bar' }, encoding: { x, y } }),
  };
}

/** Render a Vega-Lite spec to an SVG string, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG (white background, 2x for legibility). */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white' }).render().asPng();
}

/** Write `<base>.svg` (and `<base>.png` unless png is false) atomically; returns the paths written. */
export async function writeChart(
  base: string,
  spec: TopLevelSpec,
  opts: { png?: boolean } = {},
): Promise<string[]> {
  const svg = await renderSvg(spec);
  await writeFileAtomic(`${base}.svg`, svg);
  if (opts.png === false) return [`${base}.svg`];
  await writeFileAtomic(`${base}.png`, svgToPng(svg));
  return [`${base}.svg`, `${base}.png`];
}
