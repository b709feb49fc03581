// The built-in sample corpus: deterministic per seed, the promised size, English-like structure
// a model can learn (context predicts far better than letter frequencies) and enough variety.
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer';
import { unigramEntropy } from './entropy';
import { DEFAULT_SAMPLE_BYTES, generateSampleCorpus } from './sample-corpus';

const corpus = generateSampleCorpus();

/** Empirical H(next char | previous k chars), nats per char. */
function conditionalEntropy(text: string, k: number): number {
  const counts = new Map<string, Map<string, number>>();
  for (let i = k; i < text.length; i++) {
    const context = text.slice(i - k, i);
    let next = counts.get(context);
    if (next === undefined) counts.set(context, (next = new Map()));
    next.set(text[i], (next.get(text[i]) ?? 0) + 1);
  }
  let entropy = 0;
  const n = text.length - k;
  for (const next of counts.values()) {
    let total = 0;
    for (const c of next.values()) total += c;
    for (const c of next.values()) entropy -= (c / n) * Math.log(c / total);
  }
  return entropy;
}

describe('generateSampleCorpus', () => {
  it('is the same text for the same seed and another text for another seed', () => {
    expect(generateSampleCorpus(1, 20_000)).toBe(generateSampleCorpus(1, 20_000));
    expect(generateSampleCorpus(2, 20_000)).not.toBe(generateSampleCorpus(1, 20_000));
    expect(corpus.startsWith(generateSampleCorpus(1, 20_000).trimEnd())).toBe(true);
  });

  it('is 200–400 KB of ASCII by default and stops after the story that reaches the target', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(DEFAULT_SAMPLE_BYTES);
    expect(corpus.length).toBeLessThan(400_000);
    expect(/^[\n -~]*$/.test(corpus)).toBe(true); // newline and printable ASCII only
    const small = generateSampleCorpus(5, 3000);
    expect(small.length).toBeGreaterThanOrEqual(3000);
    expect(small.endsWith('.\n')).toBe(true);
  });

  it('is laid out as chapters of paragraphs and dialogue lines with balanced quotes', () => {
    const paragraphs = corpus.trimEnd().split('\n\n');
    expect(paragraphs[0]).toMatch(/^Chapter 1: \S/);
    expect(corpus.match(/^Chapter \d+: /gm)?.length).toBeGreaterThan(100);
    const unbalanced = corpus.split('\n').filter((line) => (line.match(/"/g) ?? []).length % 2 !== 0);
    expect(unbalanced).toEqual([]);
    expect(corpus).toMatch(/\n"[A-Z][^"\n]*\?" (asked|said) [A-Z][a-z]+\.\n"/);
  });

  it('has structure to learn: three characters of context cut the entropy below a quarter of the unigram', () => {
    const ids = CharTokenizer.fromText(corpus).encode(corpus);
    const unigram = unigramEntropy(ids);
    expect(unigram).toBeGreaterThan(2.5); // English-like letter frequencies, ~3.1 nats/char
    expect(conditionalEntropy(corpus, 1)).toBeLessThan(0.75 * unigram);
    expect(conditionalEntropy(corpus, 3)).toBeLessThan(0.25 * unigram);
  });

  it('is not a loop: thousands of distinct lines and almost no repeated 64-character stretch', () => {
    const lines = corpus.split('\n').filter((line) => line.length > 0);
    expect(new Set(lines).size).toBeGreaterThan(0.8 * lines.length);
    const windows = new Set<string>();
    let total = 0;
    for (let i = 0; i + 64 <= corpus.length; i += 7, total++) windows.add(corpus.slice(i, i + 64));
    expect(windows.size / total).toBeGreaterThan(0.95);
  });

  it('refuses a size that is not a whole number of bytes ≥ 1', () => {
    expect(() => generateSampleCorpus(1, 0)).toThrow(RangeError);
  });
});

describe('unigramEntropy', () => {
  it('is ln(k) for k equally frequent tokens and 0 for a single repeated token', () => {
    expect(unigramEntropy([0, 1, 2, 3, 3, 2, 1, 0])).toBeCloseTo(Math.log(4), 12);
    expect(unigramEntropy(new Int32Array(50).fill(7))).toBe(0);
  });

  it('weights by frequency: p = (3/4, 1/4)', () => {
    expect(unigramEntropy([5, 5, 5, 9])).toBeCloseTo(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 12);
  });
});
