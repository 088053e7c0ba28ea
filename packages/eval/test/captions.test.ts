/**
 * The captioner's text side and prompt expansion: every bouncing-shapes attribute combination gives a caption that
 * the template's grammar (written here independently as a regular expression) accepts and that names each value;
 * the digits template; prompt expansion is deterministic, keeps what the prompt says and fills the rest.
 */
import { SHAPE_ATTRIBUTES, type ShapeAttributes } from '@vtx/data';
import { describe, expect, it } from 'vitest';
import { captionFromAttributes, templateFor } from '../src/caption-template.js';
import { expandPrompt } from '../src/prompt-expansion.js';

const alt = (xs: readonly string[]) => `(${xs.join('|')})`;
const GRAMMAR = new RegExp(
  `^a ${alt(SHAPE_ATTRIBUTES.size)} ${alt(SHAPE_ATTRIBUTES.colour)} ${alt(SHAPE_ATTRIBUTES.shape)} moves (quickly|slowly) ` +
    `from (left to right|right to left|top to bottom|bottom to top) over an? ${alt(SHAPE_ATTRIBUTES.background)} background$`,
);

function* combinations(): Generator<ShapeAttributes> {
  for (const shape of SHAPE_ATTRIBUTES.shape)
    for (const colour of SHAPE_ATTRIBUTES.colour)
      for (const size of SHAPE_ATTRIBUTES.size)
        for (const direction of SHAPE_ATTRIBUTES.direction)
          for (const speed of SHAPE_ATTRIBUTES.speed)
            for (const background of SHAPE_ATTRIBUTES.background)
              yield { shape, colour, size, direction, speed, background };
}

describe('caption template', () => {
  it('is grammatical for every attribute combination and names every value', () => {
    let n = 0;
    for (const a of combinations()) {
      const c = captionFromAttributes({ ...a });
      const m = GRAMMAR.exec(c);
      expect(m, c).not.toBeNull();
      expect([m![1], m![2], m![3], m![6]]).toEqual([a.size, a.colour, a.shape, a.background]);
      expect(m![4]).toBe(a.speed === 'fast' ? 'quickly' : 'slowly');
      expect(m![5]).toBe(a.direction.replace(/-/g, ' '));
      n++;
    }
    expect(n).toBe(5 * 8 * 3 * 4 * 2 * 4);
  });

  it('captions Moving MNIST digits and anything else as a list', () => {
    expect(templateFor(['digit0', 'digit1'])).toBe('digits');
    expect(captionFromAttributes({ digit1: '7', digit0: '3' })).toBe('the digits 3 and 7 bouncing');
    expect(captionFromAttributes({ digit0: '5' })).toBe('the digit 5 bouncing');
    expect(captionFromAttributes({ weather: 'rain' })).toBe('a clip with weather rain');
  });

  it('rejects values outside the vocabulary', () => {
    expect(() =>
      captionFromAttributes({
        shape: 'hexagon',
        colour: 'red',
        size: 'small',
        direction: 'left-to-right',
        speed: 'fast',
        background: 'navy',
      }),
    ).toThrow(/not in the bouncing-shapes vocabulary/);
  });
});

describe('prompt expansion', () => {
  it('is deterministic and insensitive to case, punctuation and spacing', () => {
    const a = expandPrompt('a red circle going up');
    expect(expandPrompt('a red circle going up')).toEqual(a);
    expect(expandPrompt('  A RED circle,  going up! ')).toEqual(a);
  });

  it('keeps every attribute the prompt names (values and synonyms) and fills the rest grammatically', () => {
    const e = expandPrompt('a big blue square moving quickly to the right over a navy background');
    expect(e.attributes).toEqual({
      shape: 'square',
      colour: 'blue',
      size: 'large',
      direction: 'left-to-right',
      speed: 'fast',
      background: 'navy',
    });
    expect(e.given.sort()).toEqual(['background', 'colour', 'direction', 'shape', 'size', 'speed']);
    expect(e.caption).toBe('a large blue square moves quickly from left to right over a navy background');
    const t = expandPrompt('a tiny triangle falling');
    expect(t.attributes).toMatchObject({ shape: 'triangle', size: 'small', direction: 'top-to-bottom' });
    expect(t.given.sort()).toEqual(['direction', 'shape', 'size']);
    expect(t.caption).toMatch(GRAMMAR);
  });

  it('fills open attributes from the prompt, so different prompts can differ', () => {
    const fills = new Set(
      ['a circle', 'a square', 'a triangle', 'a cross', 'a diamond', 'circle', 'a ball'].map(
        (p) => expandPrompt(p).attributes.colour,
      ),
    );
    expect(fills.size).toBeGreaterThan(1);
  });
});
