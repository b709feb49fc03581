// Text generation: autoregressive sampling from a Gpt with temperature, top-k and top-p (nucleus)
// filtering over a sliding context window, seeded so the same seed gives the same tokens.

import { Rng } from '../util/rng';
import { ModelInputError } from './errors';
import type { Gpt } from './gpt';

export interface SamplingOptions {
  temperature: number; // 0 = greedy (argmax); 1 = the model's own distribution; > 1 flatter
  topK: number; // keep only the K most likely tokens; 0 = no limit
  topP: number; // then keep the smallest most-likely set whose probability reaches topP; 1 = no limit
}

export interface GenerateOptions extends Partial<SamplingOptions> {
  maxTokens: number; // tokens to generate after the prompt
  seed: number; // the same seed (with the same model and prompt) gives the same tokens
}

export const DEFAULT_SAMPLING: Readonly<SamplingOptions> = { temperature: 1, topK: 0, topP: 1 };

/** Throws a ModelInputError naming the first option outside its range. */
export function validateSamplingOptions(opts: SamplingOptions): void {
  const { temperature, topK, topP } = opts;
  if (!(Number.isFinite(temperature) && temperature >= 0)) {
    throw new ModelInputError('temperature', temperature, 'a finite number ≥ 0 (0 = greedy)');
  }
  if (!(Number.isInteger(topK) && topK >= 0)) {
    throw new ModelInputError('topK', topK, 'an integer ≥ 0 (0 = no limit)');
  }
  if (!(topP > 0 && topP <= 1)) throw new ModelInputError('topP', topP, 'a number in (0, 1] (1 = no limit)');
}

/**
 * Draws token ids from logits. Holds its scratch buffers and its Rng, so a generation allocates
 * once. Ties between equal logits go to the lower token id, in greedy and filtered sampling alike.
 */
export class TokenSampler {
  private readonly opts: SamplingOptions;
  private readonly order: Int32Array; // (V) token ids, most likely first
  private readonly weights: Float64Array; // (V) unnormalised probabilities, in `order` order

  constructor(
    readonly vocabSize: number,
    opts: SamplingOptions,
    private readonly rng: Rng,
  ) {
    validateSamplingOptions(opts);
    this.opts = { ...opts };
    this.order = new Int32Array(vocabSize);
    this.weights = new Float64Array(vocabSize);
  }

  sample(logits: Float32Array): number {
    const V = this.vocabSize;
    const { temperature, topK, topP } = this.opts;
    let best = 0;
    for (let i = 0; i < V; i++) {
      if (!Number.isFinite(logits[i])) {
        throw new ModelInputError(`logits[${i}]`, logits[i], 'finite values (the model has diverged)');
      }
      if (logits[i] > logits[best]) best = i;
    }
    if (temperature === 0) return best;

    const invTemp = 1 / temperature;
    const maxLogit = logits[best];
    const order = this.order;
    const w = this.weights;
    for (let i = 0; i < V; i++) order[i] = i;
    const filtered = (topK > 0 && topK < V) || topP < 1;
    if (filtered) order.sort((i, j) => logits[j] - logits[i] || i - j);
    // Top-k: the first k of the order. exp is taken after subtracting the max, so it cannot overflow.
    const k = topK > 0 ? Math.min(topK, V) : V;
    let total = 0;
    for (let j = 0; j < k; j++) {
      w[j] = Math.exp((logits[order[j]] - maxLogit) * invTemp);
      total += w[j];
    }
    // Top-p: the shortest prefix of the (sorted) survivors holding at least topP of their mass.
    let kept = k;
    let keptMass = total;
    if (topP < 1) {
      let mass = 0;
      kept = 0;
      while (kept < k) {
        mass += w[kept++];
        if (mass >= topP * total) break;
      }
      keptMass = mass;
    }
    const u = this.rng.uniform() * keptMass;
    let acc = 0;
    for (let j = 0; j < kept; j++) {
      acc += w[j];
      if (u < acc) return order[j];
    }
    // Only reachable through rounding in the running sum: the last survivor owns the remainder.
    return order[kept - 1];
  }
}

/**
 * Yields generated token ids one at a time, so a caller can show them as they come (and stop by
 * leaving the loop). Each step runs the model over the last min(contextLength, model.maxT) tokens.
 * Arguments are checked here, before the first token is asked for.
 */
export function generateTokens(
  model: Gpt,
  promptTokens: ArrayLike<number>,
  opts: GenerateOptions,
): Generator<number, void, void> {
  const V = model.config.vocabSize;
  if (!(Number.isInteger(opts.maxTokens) && opts.maxTokens >= 0)) {
    throw new ModelInputError('maxTokens', opts.maxTokens, 'an integer ≥ 0');
  }
  if (!Number.isInteger(opts.seed)) throw new ModelInputError('seed', opts.seed, 'an integer');
  if (promptTokens.length === 0) {
    throw new ModelInputError('prompt', '(empty)', 'at least one token (the model predicts what follows)');
  }
  for (let i = 0; i < promptTokens.length; i++) {
    const id = promptTokens[i];
    if (!(Number.isInteger(id) && id >= 0 && id < V)) {
      throw new ModelInputError(`prompt[${i}]`, id, `a token id in [0, ${V})`);
    }
  }
  const sampler = new TokenSampler(V, { ...DEFAULT_SAMPLING, ...definedOnly(opts) }, new Rng(opts.seed));
  return sampleTokens(model, Array.from(promptTokens), opts.maxTokens, sampler);
}

function* sampleTokens(
  model: Gpt,
  tokens: number[], // the prompt; generated ids are appended
  maxTokens: number,
  sampler: TokenSampler,
): Generator<number, void, void> {
  const window = Math.min(model.config.contextLength, model.maxT);
  const context = new Int32Array(window);
  for (let n = 0; n < maxTokens; n++) {
    const T = Math.min(tokens.length, window);
    for (let t = 0; t < T; t++) context[t] = tokens[tokens.length - T + t];
    model.forward(context, null, 1, T);
    const next = sampler.sample(model.lastLogits(0));
    tokens.push(next);
    yield next;
  }
}

/** Generates up to `maxTokens` ids after the prompt and returns them; onToken sees each as it comes. */
export function generate(
  model: Gpt,
  promptTokens: ArrayLike<number>,
  opts: GenerateOptions,
  onToken?: (id: number, index: number) => void,
): number[] {
  const out: number[] = [];
  for (const id of generateTokens(model, promptTokens, opts)) {
    onToken?.(id, out.length);
    out.push(id);
  }
  return out;
}

/** The sampling options that were given, so `undefined` does not override a default. */
function definedOnly(opts: Partial<SamplingOptions>): Partial<SamplingOptions> {
  const out: Partial<SamplingOptions> = {};
  if (opts.temperature !== undefined) out.temperature = opts.temperature;
  if (opts.topK !== undefined) out.topK = opts.topK;
  if (opts.topP !== undefined) out.topP = opts.topP;
  return out;
}
