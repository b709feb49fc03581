// Paths into a run config: reading and writing through them, a missing section named in the error,
// and the paths the type refuses (a value only some optimizers have, a literal union, a section).

import { describe, expect, it } from 'vitest';
import { tinyPreset } from '../state/fixtures';
import { setValueAt, valueAt } from './config-path';

describe('config paths', () => {
  it('read and write the value a dotted path names, at any depth', () => {
    const config = tinyPreset({
      samples: { every: 200, prompt: 'Chapter', maxTokens: 120, temperature: 0.8, topK: 0, topP: 1, seed: 1 },
    });
    expect(valueAt(config, 'name')).toBe('Sample corpus · tiny');
    expect(valueAt(config, 'train.schedule.lr')).toBe(1e-3);
    setValueAt(config, 'train.optimizer.weightDecay', 0.05);
    setValueAt(config, 'samples.prompt', 'Once');
    setValueAt(config, 'model.nLayer', null); // an emptied number input
    expect(config.train.optimizer.weightDecay).toBe(0.05);
    expect(config.samples?.prompt).toBe('Once');
    expect(config.model.nLayer).toBeNull();
  });

  it('names the section that is missing', () => {
    expect(() => valueAt(tinyPreset({ samples: null }), 'samples.every')).toThrow(
      'The run config has no "samples" section to hold samples.every.',
    );
  });

  it('leave out what an input cannot stand for: a value some configs lack, a literal union, a section', () => {
    const adamw = tinyPreset();
    // @ts-expect-error momentum belongs to SGD: an AdamW config has none
    expect(valueAt(adamw, 'train.optimizer.momentum')).toBeUndefined();
    // @ts-expect-error the backend is 'ts' | 'wasm', and a text input could write any string
    expect(valueAt(adamw, 'backend')).toBe('wasm');
    // @ts-expect-error a section is not a value
    expect(valueAt(adamw, 'model')).toEqual(adamw.model);
  });
});
