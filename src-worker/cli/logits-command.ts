// `crystalline logits`: the final position's logits for given token ids, as a JSON array — the
// hook other implementations (the PyTorch reference) are compared through.

import type { Command } from 'commander';
import { loadInferenceModel } from '../train/checkpointing';
import { UsageError } from './errors';
import * as parse from './parse';

export interface LogitsCommandOptions {
  checkpoint: string;
  tokens: number[];
}

export function addLogitsOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--checkpoint <file>',
      'a checkpoint, an exported Hugging Face folder, or a GPT-2 model.safetensors',
    )
    .requiredOption('--tokens <ids>', 'comma-separated token ids, e.g. 1,2,3', parse.tokenList);
}

export async function runLogitsCommand(o: LogitsCommandOptions): Promise<void> {
  const { model } = await loadInferenceModel(o.checkpoint);
  const { vocabSize: V, contextLength } = model.config;
  const bad = o.tokens.findIndex((id) => id >= V);
  if (bad >= 0)
    throw new UsageError(
      `--tokens: id ${o.tokens[bad]} at position ${bad} is outside the vocabulary [0, ${V}).`,
    );
  if (o.tokens.length > contextLength) {
    throw new UsageError(
      `--tokens: ${o.tokens.length} ids exceed the model's context length ${contextLength}.`,
    );
  }
  model.forward(Int32Array.from(o.tokens), null, 1, o.tokens.length);
  // Float32 values printed as the shortest decimals that read back to the same float64.
  process.stdout.write(JSON.stringify(Array.from(model.lastLogits(0))) + '\n');
}
