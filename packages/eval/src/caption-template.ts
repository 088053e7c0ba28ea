/**
 * Caption templates fed by predicted attributes (the captioner's text side). The bouncing-shapes template is the
 * dataset's own descriptive caption (`descriptiveCaption` of @vtx/data: "a small red circle moves quickly from
 * left to right over a dark grey background"); Moving MNIST's names the digits ("the digits 3 and 7 bouncing",
 * the builder's caption). Any other attribute set gets a plain list ("a clip with colour red and size small").
 */
import { descriptiveCaption, SHAPE_ATTRIBUTES, type ShapeAttributes } from '@vtx/data';

const SHAPE_NAMES = Object.keys(SHAPE_ATTRIBUTES) as (keyof typeof SHAPE_ATTRIBUTES)[];

/** Which template an attribute vocabulary uses. */
export function templateFor(names: readonly string[]): 'shapes' | 'digits' | 'list' {
  if (SHAPE_NAMES.every((n) => names.includes(n))) return 'shapes';
  if (names.length > 0 && names.every((n) => /^digit\d+$/.test(n))) return 'digits';
  return 'list';
}

function isShapeAttributes(a: Record<string, string>): a is Record<string, string> & ShapeAttributes {
  return SHAPE_NAMES.every((n) => (SHAPE_ATTRIBUTES[n] as readonly string[]).includes(a[n] ?? ''));
}

/** The caption of one clip from its (predicted) attributes. */
export function captionFromAttributes(attrs: Record<string, string>): string {
  const names = Object.keys(attrs);
  switch (templateFor(names)) {
    case 'shapes':
      if (!isShapeAttributes(attrs))
        throw new Error(`attributes ${JSON.stringify(attrs)} are not in the bouncing-shapes vocabulary`);
      return descriptiveCaption(attrs);
    case 'digits': {
      const digits = names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))).map((n) => attrs[n]!);
      return `the digit${digits.length > 1 ? 's' : ''} ${digits.join(' and ')} bouncing`;
    }
    case 'list':
      return `a clip with ${names.map((n) => `${n} ${attrs[n]}`).join(' and ')}`;
  }
}
