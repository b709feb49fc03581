// The engine's command line: headless training, generation and inspection. Each subcommand lives
// in cli/; this file wires them to commander and maps errors to exit codes (2 = bad input). The
// product's entry (src-main/cli.ts) runs it with extensions that record runs in the studio's
// database and add the commands that need the studio (runs, serve).

import { Command, CommanderError } from 'commander';
import { addTrainOptions } from './cli/train-options';
import type { TrainOptions } from './cli/train-options';
import { runTrainCommand } from './cli/train-command';
import { addGenerateOptions, runGenerateCommand } from './cli/generate-command';
import type { GenerateCommandOptions } from './cli/generate-command';
import { addLogitsOptions, runLogitsCommand } from './cli/logits-command';
import type { LogitsCommandOptions } from './cli/logits-command';
import { addBenchOptions, runBenchCommand } from './cli/bench-command';
import type { BenchCommandOptions } from './cli/bench-command';
import { addExportOptions, runExportCommand } from './cli/export-command';
import type { ExportCommandOptions } from './cli/export-command';
import { describeError, isInputError } from './cli/errors';
import { runPinCommand } from './cli/pin-command';
import type { PinCommandOptions } from './cli/pin-command';
import type { CliExtensions } from './cli/extensions';
import { APP_VERSION } from './version';

export type { CliExtensions, RunRecorderHooks } from './cli/extensions';

/** Parses `argv` and runs the command; sets process.exitCode (0, 1 = failure, 2 = bad input). */
export async function runCli(argv: readonly string[], extensions: CliExtensions = {}): Promise<void> {
  const program = new Command('crystalline')
    .description('Crystalline Studio: train small GPT-style language models on your own text, offline.')
    .version(APP_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.trimEnd() + '\n') });

  const train = addTrainOptions(
    program.command('train').description('train a model on the sample corpus or your own text'),
  );
  extensions.trainOptions?.(train);
  train
    .exitOverride()
    .action(async (opts: TrainOptions, cmd: Command) => runTrainCommand(opts, cmd, extensions));

  addGenerateOptions(program.command('generate').description('generate text from a checkpoint'))
    .exitOverride()
    .action(async (opts: GenerateCommandOptions) => runGenerateCommand(opts));

  addLogitsOptions(
    program.command('logits').description("print the final position's logits for token ids, as JSON"),
  )
    .exitOverride()
    .action(async (opts: LogitsCommandOptions) => runLogitsCommand(opts));

  addExportOptions(program.command('export').description('write a checkpoint as a Hugging Face GPT-2 folder'))
    .exitOverride()
    .action(async (opts: ExportCommandOptions) => runExportCommand(opts));

  program
    .command('pin')
    .description('keep a checkpoint whatever the retention policy says (or --unpin it)')
    .requiredOption('--checkpoint <file>', 'a checkpoint in a run folder')
    .option('--unpin', 'let retention remove it again')
    .exitOverride()
    .action(async (opts: PinCommandOptions) => runPinCommand(opts));

  addBenchOptions(program.command('bench').description('measure training throughput of the presets'))
    .exitOverride()
    .action(async (opts: BenchCommandOptions) => runBenchCommand(opts));

  // A reader that goes away (`crystalline train --json | head`) ends the output, not a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });

  extensions.commands?.(program);

  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message; help and version are successful exits.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else {
      console.error(describeError(err));
      process.exitCode =
        extensions.exitCodeOf?.(err) ?? (isInputError(err) || extensions.isInputError?.(err) ? 2 : 1);
    }
  }
}
