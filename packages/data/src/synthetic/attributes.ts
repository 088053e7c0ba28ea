/**
 * The attribute vocabulary of the synthetic bouncing-shapes dataset, and its two caption templates.
 * Exported because captioning and attribute-accuracy evaluation read it: a generated clip's
 * `attributes` column holds one value per name here, and `index.json` repeats the vocabulary.
 *
 * Captions follow Sora's finding that descriptive captions help (OpenAI 2024, "Video generation models
 * as world simulators", §Language understanding): the descriptive caption names every attribute
 * ("a small red circle moves quickly from left to right over a dark grey background"), the terse
 * one only the shape ("a circle").
 */
export const SHAPE_ATTRIBUTES = {
  shape: ['circle', 'square', 'triangle', 'diamond', 'cross'],
  colour: ['red', 'green', 'blue', 'yellow', 'magenta', 'cyan', 'white', 'orange'],
  size: ['small', 'medium', 'large'],
  /** The motion class and the clip label: it cannot be read from one frame. */
  direction: ['left-to-right', 'right-to-left', 'top-to-bottom', 'bottom-to-top'],
  speed: ['slow', 'fast'],
  background: ['black', 'dark grey', 'navy', 'dark green'],
} as const satisfies Record<string, readonly string[]>;

export type ShapeAttributeName = keyof typeof SHAPE_ATTRIBUTES;
export type ShapeAttributes = { [K in ShapeAttributeName]: (typeof SHAPE_ATTRIBUTES)[K][number] };

/** Label names of the synthetic dataset: the motion classes. */
export const MOTION_CLASSES: readonly string[] = SHAPE_ATTRIBUTES.direction;

export const COLOUR_RGB: Record<
  ShapeAttributes['colour'] | ShapeAttributes['background'],
  [number, number, number]
> = {
  red: [230, 40, 40],
  green: [40, 200, 60],
  blue: [50, 90, 240],
  yellow: [240, 220, 40],
  magenta: [220, 50, 220],
  cyan: [40, 220, 230],
  white: [245, 245, 245],
  orange: [250, 140, 30],
  black: [0, 0, 0],
  'dark grey': [60, 60, 60],
  navy: [15, 20, 80],
  'dark green': [10, 60, 25],
};

/** Half-extent of the shape as a fraction of min(H, W). */
export const SIZE_FRACTION: Record<ShapeAttributes['size'], number> = {
  small: 0.1,
  medium: 0.15,
  large: 0.22,
};

/** Fraction of the free room the shape crosses during the clip. */
export const SPEED_FRACTION: Record<ShapeAttributes['speed'], number> = { slow: 0.4, fast: 0.9 };

const DIRECTION_PHRASE: Record<ShapeAttributes['direction'], string> = {
  'left-to-right': 'from left to right',
  'right-to-left': 'from right to left',
  'top-to-bottom': 'from top to bottom',
  'bottom-to-top': 'from bottom to top',
};

/** "a small red circle moves quickly from left to right over a dark grey background" */
export function descriptiveCaption(a: ShapeAttributes): string {
  const adverb = a.speed === 'fast' ? 'quickly' : 'slowly';
  return `a ${a.size} ${a.colour} ${a.shape} moves ${adverb} ${DIRECTION_PHRASE[a.direction]} over a ${a.background} background`;
}

/** "a circle" */
export function terseCaption(a: ShapeAttributes): string {
  return `a ${a.shape}`;
}
