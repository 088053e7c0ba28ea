/**
 * Prompt expansion: a short user prompt ("a red circle going up") becomes a caption in the descriptive style the
 * text-to-video model was trained on ("a medium red circle moves slowly from bottom to top over a navy
 * background"). The small-scale, deterministic analogue of Sora's use of GPT to turn short prompts into detailed
 * captions (OpenAI 2024, §Language understanding, after DALL·E 3): the attributes the prompt names are kept (by
 * value words and a few synonyms), and every attribute it leaves open is filled from a hash of the normalised
 * prompt — so one prompt always expands to the same caption, and different prompts explore different fills.
 */
import { descriptiveCaption, SHAPE_ATTRIBUTES, type ShapeAttributes } from '@vtx/data';

type Name = keyof ShapeAttributes;

/** Phrases (lower-case, whole words) that name a value, besides the value itself. */
const SYNONYMS: Partial<Record<Name, Record<string, string[]>>> = {
  size: { small: ['tiny', 'little'], large: ['big', 'huge'] },
  speed: { fast: ['quick', 'quickly', 'rapid', 'rapidly'], slow: ['slowly', 'gently'] },
  direction: {
    'left-to-right': [
      'left to right',
      'to the right',
      'rightward',
      'rightwards',
      'going right',
      'moving right',
    ],
    'right-to-left': ['right to left', 'to the left', 'leftward', 'leftwards', 'going left', 'moving left'],
    'top-to-bottom': [
      'top to bottom',
      'falling',
      'downward',
      'downwards',
      'going down',
      'moving down',
      'falls',
    ],
    'bottom-to-top': ['bottom to top', 'rising', 'upward', 'upwards', 'going up', 'moving up', 'rises'],
  },
  shape: { square: ['box'], cross: ['plus'], circle: ['ball', 'disc', 'dot'] },
};

export interface ExpandedPrompt {
  caption: string;
  attributes: ShapeAttributes;
  /** The attributes the prompt named (the rest were filled). */
  given: Name[];
}

/** FNV-1a of a string, mixed with a salt: the deterministic source of the fills. */
function hash(s: string, salt: number): number {
  let h = 0x811c9dc5 ^ salt;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  return (Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12)) >>> 0;
}

function normalise(prompt: string): string {
  return ` ${prompt
    .toLowerCase()
    .replace(/[^a-z\s-]/g, ' ')
    .replace(/-/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()} `;
}

/** The first value of `name` the normalised text mentions (by value or synonym), with its position. */
function find(text: string, name: Name, exclude: string | null = null): { value: string; at: number } | null {
  let best: { value: string; at: number } | null = null;
  for (const value of SHAPE_ATTRIBUTES[name] as readonly string[]) {
    if (value === exclude) continue;
    const phrases = [value.replace(/-/g, ' '), ...(SYNONYMS[name]?.[value] ?? [])];
    for (const p of phrases) {
      const at = text.indexOf(` ${p} `);
      if (at >= 0 && (!best || at < best.at)) best = { value, at };
    }
  }
  return best;
}

/** Expand a short prompt to a descriptive bouncing-shapes caption. Deterministic. */
export function expandPrompt(prompt: string): ExpandedPrompt {
  const text = normalise(prompt);
  const found: Partial<Record<Name, string>> = {};
  // the background is what follows "on"/"over"/"against" ("… over a navy background"), or a second colour
  const bg =
    /\b(?:on|over|against|in front of) (?:an? |the )?([a-z ]+?)(?: background)? $|\b(?:on|over|against) (?:an? |the )?([a-z ]+?) background /.exec(
      text,
    );
  if (bg) {
    const hit = find(` ${bg[1] ?? bg[2]} `, 'background');
    if (hit) found.background = hit.value;
  }
  for (const name of ['shape', 'size', 'speed', 'direction'] as const) {
    const hit = find(text, name);
    if (hit) found[name] = hit.value;
  }
  const colourText = bg ? text.slice(0, bg.index + 1) : text;
  const colour = find(colourText, 'colour');
  if (colour) found.colour = colour.value;
  if (!found.background) {
    const second = colour ? find(text.slice(colour.at + 1), 'background') : null;
    if (second) found.background = second.value;
  }
  const key = text.trim();
  const names = Object.keys(SHAPE_ATTRIBUTES) as Name[];
  const attributes = Object.fromEntries(
    names.map((name, i) => {
      const vocab = SHAPE_ATTRIBUTES[name] as readonly string[];
      return [name, found[name] ?? vocab[hash(key, i + 1) % vocab.length]!];
    }),
  ) as ShapeAttributes;
  return { caption: descriptiveCaption(attributes), attributes, given: names.filter((n) => found[n]) };
}
