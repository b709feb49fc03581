// Model config: the presets are what the product promises, and every invalid field is reported
// with its name, its value and what is allowed.
import { describe, expect, it } from 'vitest';
import {
  assertModelConfig,
  MODEL_PRESETS,
  ModelConfigError,
  PRESET_BATCH,
  presetConfig,
  validateModelConfig,
} from './config';
import type { ModelConfig } from './config';

const VALID: ModelConfig = { vocabSize: 65, contextLength: 64, nLayer: 4, nHead: 4, nEmbd: 128 };

describe('model presets', () => {
  it('tiny is 4 layers × 4 heads × 128 wide over 64 tokens, small 6 × 6 × 384 over 128', () => {
    expect(MODEL_PRESETS.tiny).toEqual({ nLayer: 4, nHead: 4, nEmbd: 128, contextLength: 64 });
    expect(MODEL_PRESETS.small).toEqual({ nLayer: 6, nHead: 6, nEmbd: 384, contextLength: 128 });
    expect(PRESET_BATCH).toEqual({ tiny: 16, small: 8 });
  });

  it('are valid with a character vocabulary and with a small BPE vocabulary', () => {
    for (const name of ['tiny', 'small'] as const) {
      for (const V of [65, 512]) expect(validateModelConfig(presetConfig(name, V))).toEqual([]);
    }
  });
});

describe('validateModelConfig', () => {
  it('accepts a valid config', () => {
    expect(validateModelConfig(VALID)).toEqual([]);
    expect(() => assertModelConfig(VALID)).not.toThrow();
  });

  it('reports a head count that does not divide the width', () => {
    const problems = validateModelConfig({ ...VALID, nHead: 3 });
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe('nHead');
    expect(problems[0].message).toContain('must divide nEmbd (128)');
  });

  it('reports zero, negative, fractional and non-numeric fields, each by name', () => {
    const bad = {
      vocabSize: 0,
      contextLength: -4,
      nLayer: 2.5,
      nHead: '4',
      nEmbd: NaN,
    } as unknown as ModelConfig;
    const problems = validateModelConfig(bad);
    expect(problems.map((p) => p.field)).toEqual(['vocabSize', 'contextLength', 'nLayer', 'nHead', 'nEmbd']);
    expect(problems[3].message).toBe('nHead must be a positive integer, got "4"');
    expect(problems[2].value).toBe(2.5);
  });

  it('reports a vocabulary above 65536, the largest that uint16 token files hold', () => {
    expect(validateModelConfig({ ...VALID, vocabSize: 65536 })).toEqual([]);
    const problems = validateModelConfig({ ...VALID, vocabSize: 65537 });
    expect(problems).toEqual([
      { field: 'vocabSize', value: 65537, message: 'vocabSize must be at most 65536, got 65537' },
    ]);
  });

  it('assertModelConfig throws a ModelConfigError carrying every problem', () => {
    const bad = { ...VALID, nLayer: 0, nHead: 5 };
    let caught: unknown;
    try {
      assertModelConfig(bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ModelConfigError);
    const err = caught as ModelConfigError;
    expect(err.name).toBe('ModelConfigError');
    expect(err.problems.map((p) => p.field)).toEqual(['nLayer', 'nHead']);
    expect(err.message).toContain('nLayer must be a positive integer, got 0');
    expect(err.message).toContain('nHead (5) must divide nEmbd (128)');
  });
});
