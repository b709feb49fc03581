// `crystalline generate`: samples text from a checkpoint, printing tokens as they are produced.

import type { Command } from 'commander';
import { generateTokens, type GenerateOptions } from '../model/generate';
import { loadInferenceModel } from '../train/checkpointing';
import { UsageError } from './errors';
import * as parse from './parse';

/** The generation options (model/generate.ts), each given on the command line or defaulted. */
export interface GenerateCommandOptions extends Required<GenerateOptions> {
  checkpoint: string;
  prompt: string;
}

export function addGenerateOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--checkpoint <file>',
      'a checkpoint, an exported Hugging Face folder, or a GPT-2 model.safetensors',
    )
    .requiredOption('--prompt <text>', 'text the generation continues')
    .option('--max-tokens <n>', 'tokens to generate', parse.positiveInt, 200)
    .option('--temperature <x>', 'sampling temperature; 0 = greedy', parse.nonNegativeNumber, 0.8)
    .option('--top-k <n>', 'sample among the K most likely tokens; 0 = all', parse.nonNegativeInt, 0)
    .option('--top-p <x>', 'nucleus sampling mass in (0, 1]; 1 = off', parse.probability, 1)
    .option('--seed <n>', 'random seed', parse.seed, 1337);
}

export async function runGenerateCommand(o: GenerateCommandOptions): Promise<void> {
  const { model, tokenizer } = await loadInferenceModel(o.checkpoint);
  if (tokenizer === null) {
    throw new UsageError(
      `${o.checkpoint} has no tokenizer.json beside it, so a text prompt cannot be encoded.`,
    );
  }
  if (o.prompt.length === 0) throw new UsageError('--prompt must not be empty: the model continues a text.');
  const prompt = tokenizer.encode(o.prompt);
  const decoder = tokenizer.streamDecoder();
  process.stdout.write(o.prompt);
  const { maxTokens, temperature, topK, topP, seed } = o;
  for (const id of generateTokens(model, prompt, { maxTokens, temperature, topK, topP, seed })) {
    process.stdout.write(decoder.push(id));
  }
  process.stdout.write(decoder.flush() + '\n');
}
