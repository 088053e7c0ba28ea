/**
 * The browser sampler page: load a `vtx export` (default ./model/, or ?model=URL), pick a class or type a caption,
 * set steps, guidance and seed, watch each step's prediction of the clean clip, save the result as a GIF. A model
 * trained with frame conditioning also takes uploaded frames (image-to-video, extend forward or backward, connect two
 * clips: `vtx sample --image/--extend/--connect`); any model edits an uploaded clip (SDEdit, `--edit`).
 * URL parameters: model=<export dir URL>, backend=webgpu|wasm|webgl|cpu (default: webgpu on a hardware adapter,
 * else wasm).
 * `window.vtxSampler` exposes the state (ready, last clip, steps seen, error) for scripts and end-to-end tests.
 */
import '@vtx/core'; // registers the vtx layers, gradients and chained ops
import * as tf from '@tensorflow/tfjs-core';
import { frameConditioningOf } from '@vtx/models';
import { defaultBackend, useBackend, type PageBackend } from './backend.js';
import { drawFrame, drawStrip, encodeGif, type Clip } from './frames.js';
import { loadExport, type LoadedExport } from './load-export.js';
import { setupPromptUi, type PromptState, type PromptUi } from './prompt-ui.js';
import { sampleClip } from './sample.js';

interface SamplerState extends PromptState {
  ready: boolean;
  busy: boolean;
  backend: string;
  /** The last finished clip: shape (T, H, W, C) and values in [-1, 1]. */
  last: { shape: number[]; data: number[]; seed: number; steps: string; cfgScale: number } | null;
  /** Steps seen by the onStep callback in the last sampling run. */
  stepsSeen: number;
  /** The last error shown (cleared by the next status that is not one). */
  error: string | null;
}
declare global {
  interface Window {
    vtxSampler: SamplerState;
  }
}
const state: SamplerState = {
  ready: false,
  busy: false,
  backend: '',
  last: null,
  stepsSeen: 0,
  modes: [],
  uploads: {},
  error: null,
};
window.vtxSampler = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  info: $<HTMLParagraphElement>('model-info'),
  status: $<HTMLParagraphElement>('status'),
  form: $<HTMLFormElement>('controls'),
  classField: $<HTMLLabelElement>('class-field'),
  cls: $<HTMLSelectElement>('class'),
  captionField: $<HTMLLabelElement>('caption-field'),
  caption: $<HTMLInputElement>('caption'),
  examples: $<HTMLDataListElement>('caption-examples'),
  steps: $<HTMLInputElement>('steps'),
  guidance: $<HTMLInputElement>('guidance'),
  seed: $<HTMLInputElement>('seed'),
  backend: $<HTMLSelectElement>('backend'),
  sample: $<HTMLButtonElement>('sample'),
  save: $<HTMLButtonElement>('save'),
  stepLabel: $<HTMLSpanElement>('step-label'),
  frames: $<HTMLCanvasElement>('frames'),
  player: $<HTMLCanvasElement>('player'),
};

const params = new URLSearchParams(location.search);
const modelUrl = new URL(params.get('model') ?? './model/', location.href);
if (!modelUrl.pathname.endsWith('/')) modelUrl.pathname += '/';

let loaded: LoadedExport | null = null;
let prompt: PromptUi | null = null;
let shown: Clip | null = null;
let frame = 0;

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
  state.error = error ? text : null;
}

const scaleFor = (clip: Clip) => Math.max(1, Math.floor(128 / Math.max(clip.shape[1], clip.shape[2])));

function show(clip: Clip): void {
  shown = clip;
  drawStrip(ui.frames, clip, Math.max(1, Math.floor(scaleFor(clip) / 2)));
  drawFrame(ui.player, clip, frame % clip.shape[0], scaleFor(clip));
}

setInterval(() => {
  if (!shown) return;
  frame = (frame + 1) % shown.shape[0];
  drawFrame(ui.player, shown, frame, scaleFor(shown));
}, 125);

async function clipOf(x: tf.Tensor): Promise<Clip> {
  const [, t, h, w, c] = x.shape as [number, number, number, number, number];
  return { data: (await x.data()) as Float32Array, shape: [t, h, w, c] };
}

async function start(): Promise<void> {
  const backend = (params.get('backend') as PageBackend | null) ?? (await defaultBackend());
  ui.backend.value = backend;
  await useBackend(backend);
  state.backend = tf.getBackend();
  setStatus(`loading ${modelUrl.href} on ${state.backend}…`);
  loaded = await loadExport(modelUrl);
  const m = loaded.manifest;
  const d = loaded.diffusion;
  ui.info.textContent =
    `${m.name}: ${m.model.kind} (${(m.params / 1e6).toFixed(2)}M params), step ${m.step}, ${m.weights} weights, ` +
    `clip ${m.clip.join('x')}, ${d.process} ${d.sampler}` +
    (frameConditioningOf(m.model) ? ', frame-conditioned (image-to-video, extend, connect)' : '');
  const cond = m.condition;
  if (cond.kind === 'class') {
    cond.classNames.forEach((name, i) => ui.cls.add(new Option(`${i}: ${name}`, String(i))));
    ui.classField.hidden = false;
  } else if (cond.kind === 'caption') {
    for (const c of cond.examples) ui.examples.append(new Option(c));
    ui.caption.value = cond.examples[0] ?? '';
    ui.captionField.hidden = false;
  }
  prompt = setupPromptUi(m, state, setStatus);
  ui.steps.value = d.samplingSteps;
  ui.guidance.value = String(d.cfgScale);
  ui.guidance.disabled = cond.kind === 'none';
  ui.sample.disabled = false;
  state.ready = true;
  setStatus(`ready (${state.backend})`);
}

async function run(): Promise<void> {
  if (!loaded || state.busy) return;
  const { diffusion } = loaded;
  state.busy = true;
  state.stepsSeen = 0;
  state.last = null;
  setStatus('sampling…');
  ui.sample.disabled = true;
  ui.save.disabled = true;
  const seed = Number(ui.seed.value) || 0;
  const steps = ui.steps.value.trim() || diffusion.samplingSteps;
  const cfgScale = Number(ui.guidance.value) || diffusion.cfgScale;
  const began = performance.now();
  const request = prompt?.request();
  try {
    const x = await sampleClip(loaded, {
      label: Number(ui.cls.value || 0),
      caption: ui.caption.value,
      steps,
      cfgScale,
      seed,
      ...(request ? { prompt: request } : {}),
      onStep: async ({ step, total, predX0 }) => {
        state.stepsSeen = step + 1;
        show(await clipOf(predX0));
        ui.stepLabel.textContent = `step ${step + 1} / ${total}`;
        setStatus(`denoising: step ${step + 1} / ${total}`);
        await new Promise((r) => requestAnimationFrame(() => r(null))); // let the page paint
      },
    });
    const clip = await clipOf(x);
    x.dispose();
    show(clip);
    state.last = { shape: [...clip.shape], data: Array.from(clip.data), seed, steps, cfgScale };
    setStatus(`done: ${state.stepsSeen} steps in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    ui.save.disabled = false;
  } catch (e) {
    setStatus(`error: ${e instanceof Error ? e.message : String(e)}`, true);
  } finally {
    state.busy = false;
    ui.sample.disabled = false;
  }
}

function saveGif(): void {
  if (!shown || !state.last || !loaded) return;
  const bytes = encodeGif(shown, scaleFor(shown));
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/gif' }));
  const mode = prompt?.mode() ?? 'noise';
  const what =
    (loaded.manifest.condition.kind === 'class' ? `class${ui.cls.value}` : 'caption') +
    (mode === 'noise' ? '' : `-${mode}`);
  a.download = `${loaded.manifest.name}-${what}-seed${state.last.seed}.gif`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  void run();
});
ui.save.addEventListener('click', saveGif);
ui.backend.addEventListener('change', () => {
  const next = ui.backend.value as PageBackend;
  useBackend(next)
    .then(() => {
      state.backend = tf.getBackend();
      setStatus(`ready (${state.backend})`);
    })
    .catch((e: unknown) => setStatus(`error: ${e instanceof Error ? e.message : String(e)}`, true));
});

start().catch((e: unknown) => setStatus(`error: ${e instanceof Error ? e.message : String(e)}`, true));
