// `npx crystalline …`: the engine's command line (src-worker/cli.ts) extended with the studio's
// history: every terminal run is recorded in the data folder's database (so the studio lists it),
// `runs` lists what the database holds.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { runCli } from '../src-worker/cli';
import { UsageError } from '../src-worker/cli/errors';
import { formatRunTable, listRecordedRuns, recordHeadlessRun } from './studio/headless';
import { defaultDataDir } from './studio/data-dir';

interface ServeOptions {
  port?: number;
  dataDir?: string;
}

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
      .command('serve')
      .description('serve the studio to a browser on 127.0.0.1 (the desktop app without Electron)')
      .option('--port <n>', 'port to listen on (default: a free one)', (v: string) => parsePort(v))
      .option('--data-dir <dir>', "the studio's data folder (default: the app's own)")
      .exitOverride()
      .action(async (o: ServeOptions) => {
        const ui = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
        if (!existsSync(ui)) {
          throw new UsageError(
            "The studio's interface is not built yet: run `npm run build`, then serve again.",
          );
        }
        const { serveCommand } = await import('./web/main');
        await serveCommand({ port: o.port, dataDir: o.dataDir }); // serve mode resolves the default
        // The server keeps the process alive until Ctrl-C.
      });
    program
      .command('runs')
      .description("list the runs in the studio's history: status, step, best validation loss")
      .option('--data-dir <dir>', "the studio's data folder (default: the app's own)")
      .option('--json', 'one JSON object per run')
      .exitOverride()
      .action(async (o: RunsOptions) => {
        const runs = await listRecordedRuns(o.dataDir ?? defaultDataDir());
        if (o.json) for (const r of runs) process.stdout.write(JSON.stringify(r) + '\n');
        else
          process.stdout.write(runs.length === 0 ? 'No runs recorded yet.\n' : formatRunTable(runs) + '\n');
      });
  },
});

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError(`expected a port from 0 to 65535, got "${value}".`);
  }
  return port;
}
