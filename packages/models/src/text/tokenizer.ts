/**
 * A word-level caption tokenizer with a vocabulary built from the training captions (no downloaded
 * vocabulary). Ids: 0 [PAD], 1 [BOS] (always first, so no caption is empty — the null caption of classifier-
 * free guidance is just [BOS]), 2 [UNK], then the vocabulary in order.
 */
export const PAD = 0;
export const BOS = 1;
export const UNK = 2;
const SPECIALS = 3;

/** Lower-case words and digits; punctuation is dropped. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/** The sorted set of words in a corpus of captions. */
export function buildVocab(captions: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const c of captions) for (const w of words(c)) set.add(w);
  return [...set].sort();
}

export interface Encoded {
  /** (B·M) token ids, row-major. */
  ids: Int32Array;
  /** (B·M) 1 for real tokens, 0 for padding. */
  mask: Float32Array;
}

export class Tokenizer {
  private readonly index: Map<string, number>;

  constructor(
    readonly vocab: readonly string[],
    readonly maxLength: number,
  ) {
    if (maxLength < 1) throw new Error(`tokenizer maxLength must be >= 1, got ${maxLength}`);
    this.index = new Map(vocab.map((w, i) => [w, i + SPECIALS]));
  }

  get size(): number {
    return this.vocab.length + SPECIALS;
  }

  /** Token ids of one caption: [BOS, w1, w2, …], truncated to maxLength (not padded). */
  tokens(text: string): number[] {
    const ids = [BOS, ...words(text).map((w) => this.index.get(w) ?? UNK)];
    return ids.slice(0, this.maxLength);
  }

  /** A batch of captions -> ids and mask of shape (B, maxLength). */
  encode(texts: readonly string[]): Encoded {
    const m = this.maxLength;
    const ids = new Int32Array(texts.length * m);
    const mask = new Float32Array(texts.length * m);
    texts.forEach((text, b) => {
      this.tokens(text).forEach((id, i) => {
        ids[b * m + i] = id;
        mask[b * m + i] = 1;
      });
    });
    return { ids, mask };
  }

  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id === PAD) break;
      if (id === BOS) continue;
      out.push(id === UNK ? '[unk]' : (this.vocab[id - SPECIALS] ?? '[unk]'));
    }
    return out.join(' ');
  }
}
