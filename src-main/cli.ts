// `npx crystalline …`: the engine's command line (src-worker/cli.ts) extended with the studio's
// history: every terminal run is recorded in the data folder's database (so the studio lists it),
// `runs` lists what the database holds.

import type { Command } from 'commander';
import { runCli } from '../src-worker/cli';
import { formatRunTable, listRecordedRuns, recordHeadlessRun } from './studio/headless';
import { defaultDataDir } from './studio/data-dir';

interface RunsOptions {
  dataDir?: string;
  json?: boolean;
}

await runCli(process.argv, {
  trainOptions(train: Command) {
    train
      .option('--data-dir <dir>', "the studio's data folder the run is recorded in (default: the app's own)")
      .option('--no-record', "train without recording the run in the studio's history");
  },
  recordRun(options, spec, resumedFrom) {
    if (options.record === false) return null;
    const dataDir = typeof options.dataDir === 'string' ? options.dataDir : defaultDataDir();
    return recordHeadlessRun({ dataDir, spec, resumedFrom });
  },
  commands(program: Command) {
    program
      .command('runs')
      .description("list the runs in the studio's history: status, step, best validation loss")
      .option('--data-dir <dir>', "the studio's data folder (default: the app's own)")
      .option('--json', 'one JSON object per run')
      .exitOverride()
      .action((o: RunsOptions) => {
        const runs = listRecordedRuns(o.dataDir ?? defaultDataDir());
        if (o.json) for (const r of runs) process.stdout.write(JSON.stringify(r) + '\n');
        else
          process.stdout.write(runs.length === 0 ? 'No runs recorded yet.\n' : formatRunTable(runs) + '\n');
      });
  },
});
