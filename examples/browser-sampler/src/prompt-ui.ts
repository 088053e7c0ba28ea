/**
 * The page's prompt controls: a mode menu (from noise; image-to-video, extend and connect for a model trained with
 * frame conditioning; edit for any) and, per mode, its uploads and settings. Each upload is decoded as it is chosen
 * (./upload.ts), resized to the clip with a notice, and kept by slot; `request()` is what ./prompt.ts turns into
 * the sampler's inputs.
 */
import { modesOf, type PromptMode, type PromptRequest } from './prompt.js';
import { decodeUpload, uploadName, type Upload } from './upload.js';
import type { ExportManifest } from './load-export.js';

export type Slot = keyof PromptRequest['uploads'];

/** What the page exposes about the prompt (part of `window.vtxSampler`). */
export interface PromptState {
  modes: PromptMode[];
  /** Each decoded upload: its files, frames, and own size. */
  uploads: Partial<Record<Slot, { files: string[]; frames: number; width: number; height: number }>>;
}

const LABELS: Record<PromptMode, string> = {
  noise: 'from noise',
  image: 'image-to-video',
  extend: 'extend',
  connect: 'connect A → B',
  edit: 'edit (SDEdit)',
};
const INPUTS: Record<Slot, string> = {
  image: 'image',
  extend: 'extend',
  a: 'connect-a',
  b: 'connect-b',
  edit: 'edit',
};
const WHAT: Record<Slot, string> = {
  image: 'first frame',
  extend: 'extend',
  a: 'connect A',
  b: 'connect B',
  edit: 'edit',
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export interface PromptUi {
  mode(): PromptMode;
  /** The prompt of the chosen mode, or undefined for sampling from noise. */
  request(): PromptRequest | undefined;
}

/** Wire the controls for an export; `report` shows a status line (an error when `error`). */
export function setupPromptUi(
  manifest: ExportManifest,
  state: PromptState,
  report: (text: string, error?: boolean) => void,
): PromptUi {
  const [T, h, w] = manifest.clip;
  const mode = $<HTMLSelectElement>('mode');
  const frames = $<HTMLInputElement>('extend-frames');
  const backward = $<HTMLInputElement>('backward');
  const strength = $<HTMLInputElement>('strength');
  const uploads: PromptRequest['uploads'] = {};
  state.modes = modesOf(manifest.model, manifest.clip);
  for (const m of state.modes) mode.add(new Option(LABELS[m], m));
  $('mode-field').hidden = state.modes.length < 2;
  const showFields = () => {
    for (const m of ['image', 'extend', 'connect', 'edit'] as const)
      $(`${m}-field`).hidden = mode.value !== m;
  };
  mode.addEventListener('change', showFields);
  showFields();
  frames.value = String(T);
  const showStrength = () => ($('strength-value').textContent = Number(strength.value).toFixed(2));
  strength.addEventListener('input', showStrength);
  showStrength();

  const choose = async (slot: Slot, input: HTMLInputElement) => {
    delete uploads[slot];
    delete state.uploads[slot];
    const files = [...(input.files ?? [])];
    if (!files.length) return;
    report(`${WHAT[slot]}: reading ${files.length === 1 ? files[0]!.name : `${files.length} files`}…`);
    try {
      const u = await decodeUpload(files, w, h);
      uploads[slot] = u;
      state.uploads[slot] = { files: u.files, frames: u.frames.length, width: u.width, height: u.height };
      if (slot === 'image') preview(u, w, h);
      const resized = u.width !== w || u.height !== h;
      report(
        `${WHAT[slot]}: ${uploadName(u)}, ${u.frames.length} frame${u.frames.length === 1 ? '' : 's'}` +
          (resized ? ` (${u.width}x${u.height} scaled to cover ${w}x${h}, centre-cropped)` : ''),
      );
    } catch (e) {
      report(`error: ${WHAT[slot]}: ${e instanceof Error ? e.message : String(e)}`, true);
    }
  };
  for (const [slot, id] of Object.entries(INPUTS) as [Slot, string][]) {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('change', () => void choose(slot, input));
  }
  return {
    mode: () => mode.value as PromptMode,
    request: () => {
      const m = mode.value as PromptMode;
      if (m === 'noise') return undefined;
      return {
        mode: m,
        uploads,
        frames: Number(frames.value) || T,
        backward: backward.checked,
        strength: Number(strength.value),
      };
    },
  };
}

/** Show the first-frame picture beside its input. */
function preview(u: Upload, w: number, h: number): void {
  const canvas = $<HTMLCanvasElement>('picture');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(u.frames[0]!), w, h), 0, 0);
  canvas.hidden = false;
}
