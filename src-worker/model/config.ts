// The CLLM-GPT model configuration: plain commented data (nanoGPT `GPTConfig` style) that goes
// as-is into the database, the checkpoint header and the exported config.json; plus its presets.

export interface ModelConfig {
  vocabSize: number; // V: token ids the model reads and predicts (the tokenizer's vocabulary size)
  contextLength: number; // maxT: longest sequence the model sees; rows of the position embedding
  nLayer: number; // L: transformer blocks
  nHead: number; // NH: attention heads per block; must divide nEmbd
  nEmbd: number; // C: channels (width) of the residual stream
}

/** A preset fixes the shape of the network; the vocabulary comes from the chosen tokenizer. */
export type ModelShape = Omit<ModelConfig, 'vocabSize'>;

export type ModelPresetName = 'tiny' | 'small';

export const MODEL_PRESETS: Readonly<Record<ModelPresetName, Readonly<ModelShape>>> = {
  // Trains in minutes on a laptop CPU; good for trying a corpus.
  tiny: { nLayer: 4, nHead: 4, nEmbd: 128, contextLength: 64 },
  // Roughly nanoGPT's Shakespeare-char model; an evening on a laptop CPU.
  small: { nLayer: 6, nHead: 6, nEmbd: 384, contextLength: 128 },
};

/** The micro-batch size each preset was sized for (a training setting, kept beside the preset). */
export const PRESET_BATCH: Readonly<Record<ModelPresetName, number>> = { tiny: 16, small: 8 };

export function presetConfig(name: ModelPresetName, vocabSize: number): ModelConfig {
  return { vocabSize, ...MODEL_PRESETS[name] };
}

// Upper limits catch typos (an extra zero) before they become a multi-gigabyte allocation. The
// vocabulary limit is also a storage format fact: token ids are cached on disk as uint16.
export const MODEL_LIMITS: Readonly<Record<keyof ModelConfig, number>> = {
  vocabSize: 65536,
  contextLength: 8192,
  nLayer: 96,
  nHead: 128,
  nEmbd: 8192,
};

export interface ModelConfigProblem {
  field: keyof ModelConfig;
  value: unknown;
  message: string;
}

const FIELDS: readonly (keyof ModelConfig)[] = ['vocabSize', 'contextLength', 'nLayer', 'nHead', 'nEmbd'];

/** Every problem of `cfg`, one per field at most (plus the head/width relation); empty if valid. */
export function validateModelConfig(cfg: ModelConfig): ModelConfigProblem[] {
  const problems: ModelConfigProblem[] = [];
  for (const field of FIELDS) {
    // Configs also arrive from JSON (checkpoints, the UI), so the runtime type is checked too.
    const value: unknown = cfg[field];
    const max = MODEL_LIMITS[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      problems.push({ field, value, message: `${field} must be a positive integer, got ${show(value)}` });
    } else if (value > max) {
      problems.push({ field, value, message: `${field} must be at most ${max}, got ${value}` });
    }
  }
  const { nHead, nEmbd } = cfg;
  if (!problems.some((p) => p.field === 'nHead' || p.field === 'nEmbd') && nEmbd % nHead !== 0) {
    problems.push({
      field: 'nHead',
      value: nHead,
      message: `nHead (${nHead}) must divide nEmbd (${nEmbd}) so every head gets nEmbd/nHead channels`,
    });
  }
  return problems;
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
  constructor(readonly problems: readonly ModelConfigProblem[]) {
    super(`Invalid model config: ${problems.map((p) => p.message).join('; ')}`);
  }
}

/** Throws a ModelConfigError listing every problem of `cfg`. */
export function assertModelConfig(cfg: ModelConfig): void {
  const problems = validateModelConfig(cfg);
  if (problems.length > 0) throw new ModelConfigError(problems);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
