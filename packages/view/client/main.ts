/**
 * The dashboard page: a sidebar of sweeps/ablations and runs (from /api/index), and a detail view per run (loss,
 * lr and throughput curves that follow a running run through /api/live server-sent events, sample GIFs, the
 * resolved config) or per sweep (scaling plot on log axes with the fitted power law, the table, an ablation's
 * verdict). Routes: #run=<id>, #sweep=<id>.
 */
import './style.css';
import type { IndexResponse, MetricsRecord, RunDetail, SweepDetail, SweepRow } from '../src/api-types.js';
import { CurveChart, scalingChart } from './charts.js';

const $ = (id: string) => document.getElementById(id)!;
const main = $('main');
let index: IndexResponse | null = null;
let stream: EventSource | null = null;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const fmt = (v: number | undefined, digits = 4) =>
  v === undefined
    ? ''
    : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
      ? v.toExponential(2)
      : String(+v.toPrecision(digits));

const badge = (status: string) => h('span', { class: `badge ${status}` }, status);

function renderNav(): void {
  if (!index) return;
  $('root').textContent = index.root;
  const sweeps = $('sweeps');
  sweeps.replaceChildren(
    ...(index.sweeps.length
      ? index.sweeps.map((s) =>
          h(
            'li',
            {},
            h(
              'a',
              { href: `#sweep=${encodeURIComponent(s.id)}` },
              s.name,
              badge(s.verdict?.verdict ?? s.kind),
            ),
          ),
        )
      : [h('li', { class: 'muted' }, 'none')]),
  );
  const runs = $('runs');
  runs.replaceChildren(
    ...(index.runs.length
      ? index.runs.map((r) =>
          h(
            'li',
            {},
            h(
              'a',
              { href: `#run=${encodeURIComponent(r.id)}`, title: r.id },
              r.id === '.' ? r.name : r.id,
              badge(r.status),
            ),
          ),
        )
      : [h('li', { class: 'muted' }, 'none')]),
  );
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a[href^="#"]'))
    a.classList.toggle('active', a.getAttribute('href') === location.hash);
}

const CURVES: { id: string; title: string; keys: string[]; right?: string[]; logY?: boolean }[] = [
  { id: 'loss', title: 'loss', keys: ['loss', 'val/loss', 'mse', 'vb', 'val/mse'], logY: true },
  { id: 'accuracy', title: 'accuracy', keys: ['top1', 'val/top1', 'val/top5'] },
  { id: 'lr', title: 'learning rate', keys: ['lr'] },
  { id: 'grad-norm', title: 'gradient norm', keys: ['gradNorm'] },
  { id: 'throughput', title: 'throughput', keys: ['samplesPerSec', 'tokensPerSec'], right: ['tokensPerSec'] },
  { id: 'gflops', title: 'GFLOP/s', keys: ['gflopsPerSec'] },
];

async function showRun(id: string): Promise<void> {
  const run = await getJson<RunDetail>(`/api/run?id=${encodeURIComponent(id)}`);
  const e = run.entry;
  const status = badge(e.status);
  const stepText = h('span', { id: 'run-step' });
  const setStep = (step: number | undefined) =>
    (stepText.textContent = step === undefined ? '' : `step ${step}${e.steps ? ` / ${e.steps}` : ''}`);
  setStep(e.step ?? run.metrics.at(-1)?.step);
  const charts = h('div', { class: 'charts' });
  const samples = h('div', { class: 'samples' });
  main.replaceChildren(
    h('h2', {}, e.name, status),
    h(
      'p',
      { class: 'muted' },
      `${e.id} · ${e.model ?? ''} · `,
      stepText,
      e.finalLoss !== undefined ? ` · final loss ${fmt(e.finalLoss)}` : '',
    ),
    h('h3', {}, 'curves'),
    charts,
    h('h3', {}, 'samples'),
    samples,
    h('h3', {}, 'config'),
    h('pre', { id: 'config' }, run.config),
    ...(run.summary ? [h('h3', {}, 'summary'), h('pre', {}, JSON.stringify(run.summary, null, 2))] : []),
  );
  const width = Math.max(380, Math.floor((main.clientWidth - 48) / 2) - 20);
  const live: CurveChart[] = [];
  for (const c of CURVES) {
    if (
      !CurveChart.has(run.metrics, c.keys) &&
      !(e.status === 'running' && ['loss', 'learning rate', 'throughput'].includes(c.title))
    )
      continue;
    const always: Record<string, string[]> = {
      loss: ['loss', 'val/loss'],
      lr: ['lr'],
      throughput: ['samplesPerSec', 'tokensPerSec'],
    };
    const keys = c.keys.filter(
      (k) =>
        run.metrics.some((r) => typeof r[k] === 'number') ||
        (e.status === 'running' && always[c.id]?.includes(k)),
    );
    const box = h('div', { class: 'chart', 'data-chart': c.id }, h('h4', {}, c.title));
    charts.append(box);
    const chart = new CurveChart(
      box,
      { keys, ...(c.right ? { right: c.right } : {}), ...(c.logY ? { logY: true } : {}) },
      width,
    );
    chart.append(run.metrics);
    live.push(chart);
  }
  const showSamples = (urls: string[]) =>
    samples.replaceChildren(
      ...(urls.length
        ? [...urls]
            .reverse()
            .map((u) =>
              h(
                'figure',
                {},
                h('img', { src: u, alt: u }),
                h('figcaption', {}, decodeURIComponent(u.split('/').at(-1)!)),
              ),
            )
        : [h('p', { class: 'muted' }, 'no samples yet')]),
    );
  showSamples(run.samples);
  if (e.status === 'running') {
    stream = new EventSource(`/api/live?id=${encodeURIComponent(id)}&offset=${run.offset}`);
    stream.addEventListener('metrics', (ev) => {
      const { records } = JSON.parse((ev as MessageEvent<string>).data) as { records: MetricsRecord[] };
      for (const c of live) c.append(records);
      setStep(records.at(-1)?.step);
    });
    stream.addEventListener('summary', () => {
      stream?.close();
      void getJson<IndexResponse>('/api/index').then((i) => {
        index = i;
        renderNav();
      });
      void getJson<RunDetail>(`/api/run?id=${encodeURIComponent(id)}`).then((r) => {
        status.className = `badge ${r.entry.status}`;
        status.textContent = r.entry.status;
        showSamples(r.samples);
      });
    });
  }
}

async function showSweep(id: string): Promise<void> {
  const s = await getJson<SweepDetail>(`/api/sweep?id=${encodeURIComponent(id)}`);
  const v = s.entry.verdict;
  const plot = h('div', { class: 'chart', 'data-chart': 'scaling' });
  const xSel = h(
    'select',
    { id: 'scaling-x' },
    h('option', { value: 'trainGflop' }, 'training compute (Gflop)'),
    h('option', { value: 'gflops' }, 'forward Gflops per sample'),
  );
  const fitText = h('p', { class: 'fit', id: 'fit' });
  const drawPlot = () => {
    const x = xSel.value as 'trainGflop' | 'gflops';
    const fit = s.fits.find((f) => f.x === x);
    const pts = s.rows
      .filter((r): r is SweepRow & { metric: number } => r[x] !== undefined && r.metric !== undefined)
      .map((r) => ({ x: r[x]!, y: r.metric, label: r.name }));
    plot.replaceChildren(
      h('h4', {}, `${s.metric} vs ${x === 'gflops' ? 'Gflops' : 'training compute'} (log-log)`),
    );
    const u = scalingChart(
      plot,
      pts,
      fit,
      { x: x === 'gflops' ? 'Gflops / sample' : 'training Gflop', y: s.metric },
      Math.min(760, main.clientWidth - 40),
    );
    (plot as HTMLElement & { uplot?: unknown }).uplot = u; // for scripts and tests: u.valToPos, u.scales
    plot.dataset['points'] = String(pts.length);
    plot.dataset['fitExponent'] = fit ? String(fit.exponent) : '';
    fitText.textContent = fit
      ? `${s.metric} ≈ ${fmt(fit.a)} · x^${fit.exponent.toFixed(3)}   R² ${fmt(fit.r2, 3)}, n = ${fit.n} (${fit.source === 'report' ? 'from vtx sweep report' : 'fitted here'})`
      : 'too few runs with compute and metric to fit a power law';
  };
  xSel.addEventListener('change', drawPlot);
  const axes = [...new Set(s.rows.flatMap((r) => Object.keys(r.axes)))];
  const extra = s.metric !== 'finalLoss'; // the metric column, unless it is the final loss itself
  const head = [
    'run',
    ...axes,
    'state',
    'params',
    'Gflops',
    'train Gflop',
    'final loss',
    ...(extra ? [s.metric] : []),
  ];
  const table = h(
    'table',
    { id: 'sweep-table' },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h(
      'tbody',
      {},
      ...s.rows.map((r) =>
        h(
          'tr',
          {},
          h('td', {}, r.run ? h('a', { href: `#run=${encodeURIComponent(r.run)}` }, r.name) : r.name),
          ...axes.map((a) => h('td', {}, JSON.stringify(r.axes[a] ?? ''))),
          h('td', {}, r.state),
          h('td', {}, r.params === undefined ? '' : r.params.toLocaleString('en')),
          h('td', {}, fmt(r.gflops)),
          h('td', {}, fmt(r.trainGflop)),
          h('td', {}, fmt(r.finalLoss)),
          ...(extra ? [h('td', {}, fmt(r.metric))] : []),
        ),
      ),
    ),
  );
  main.replaceChildren(
    h('h2', {}, s.entry.name, badge(s.entry.kind)),
    h('p', { class: 'muted' }, `${s.entry.id} · ${s.rows.length} runs · metric ${s.metric}`),
    ...(v
      ? [
          h(
            'div',
            { class: `verdict ${v.verdict.replace(/\s+/g, '-')}`, id: 'verdict' },
            h('strong', {}, `verdict: ${v.verdict}`),
            h('pre', {}, v.lines.join('\n')),
          ),
        ]
      : []),
    h('h3', {}, 'scaling'),
    h('p', {}, 'x: ', xSel),
    plot,
    fitText,
    h('h3', {}, 'runs'),
    table,
    ...(s.readme ? [h('h3', {}, 'report'), h('pre', {}, s.readme)] : []),
  );
  drawPlot();
}

async function route(): Promise<void> {
  stream?.close();
  stream = null;
  index = await getJson<IndexResponse>('/api/index');
  renderNav();
  const m = /^#(run|sweep)=(.+)$/.exec(location.hash);
  try {
    if (m?.[1] === 'run') return await showRun(decodeURIComponent(m[2]!));
    if (m?.[1] === 'sweep') return await showSweep(decodeURIComponent(m[2]!));
    if (index.sweeps.length) return await showSweep(index.sweeps[0]!.id);
    if (index.runs.length) return await showRun(index.runs[0]!.id);
    main.replaceChildren(h('p', { class: 'muted' }, `no runs or sweeps under ${index.root}`));
  } catch (e) {
    main.replaceChildren(h('p', { class: 'error' }, e instanceof Error ? e.message : String(e)));
  } finally {
    document.body.dataset['ready'] = 'true';
  }
}

window.addEventListener('hashchange', () => void route());
void route();
