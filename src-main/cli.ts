// `npx crystalline …`: the engine's command line (src-worker/cli.ts) extended with the studio's
// history: every terminal run is recorded in the data folder's database (so the studio lists it),
// `runs` lists what the database holds.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { runCli } from '../src-worker/cli';
import { UsageError } from '../src-worker/cli/errors';
import { formatRunTable, listRecordedRuns, recordHeadlessRun } from './studio/headless';
import { dataDirLayout, defaultDataDir } from './studio/data-dir';
import { defaultSettings } from './studio/store';
import { DamagedDatabaseError } from './studio/store/integrity';
import { repairDataFolder } from './studio/store/recovery';

/** Exit code of a command refused because the studio's database is damaged (nothing was written). */
const EXIT_DAMAGED_DATABASE = 3;

interface ServeOptions {
  port?: number;
  dataDir?: string;
  host?: string;
}

interface RepairOptions {
  dataDir?: string;
  fresh?: boolean;
  rebuild?: boolean;
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
  exitCodeOf(err) {
    if (!(err instanceof DamagedDatabaseError)) return null;
    process.stderr.write(
      'Run `crystalline repair --fresh` or `crystalline repair --rebuild` (with the same --data-dir) to choose, ' +
        'or train with --no-record.\n',
    );
    return EXIT_DAMAGED_DATABASE;
  },
  commands(program: Command) {
    program
      .command('repair')
      .description("check the studio's database and, if it is damaged, replace it (a copy of it is kept)")
      .option('--data-dir <dir>', "the studio's data folder (default: the app's own)")
      .option('--fresh', 'start a fresh, empty database in its place')
      .option('--rebuild', 'start a fresh database and rebuild the run records from the run folders')
      .exitOverride()
      .action(async (o: RepairOptions) => {
        if (o.fresh === o.rebuild) throw new UsageError('Choose one of --fresh and --rebuild.');
        const layout = dataDirLayout(o.dataDir ?? defaultDataDir());
        const report = await repairDataFolder(
          layout,
          o.rebuild ? 'rebuild' : 'fresh',
          defaultSettings(availableParallelism()),
        );
        if (report === null) {
          process.stdout.write(`${layout.database} is sound; nothing was changed.\n`);
          return;
        }
        process.stdout.write(
          `A fresh database is at ${layout.database}; the damaged one is kept as ${report.kept.join(' and ')}.\n` +
            (report.action === 'rebuild'
              ? `Rebuilt ${report.runs} run(s) with ${report.checkpoints} checkpoint(s) and ${report.metricPoints} metric point(s).\n`
              : '') +
            report.skipped.map((s) => `skipped ${s}\n`).join(''),
        );
      });
    program
      .command('serve')
      .description('serve the studio to a browser on 127.0.0.1 (the desktop app without Electron)')
      .option('--port <n>', 'port to listen on (default: a free one)', (v: string) => parsePort(v))
      .option('--data-dir <dir>', "the studio's data folder (default: the app's own)")
      .option('--host <address>', 'address to listen on (default 127.0.0.1; any other is warned about)')
      .exitOverride()
      .action(async (o: ServeOptions) => {
        const ui = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
        if (!existsSync(ui)) {
          throw new UsageError(
            "The studio's interface is not built yet: run `npm run build`, then serve again.",
          );
        }
        const { serveCommand } = await import('./web/main');
        await serveCommand({ port: o.port, dataDir: o.dataDir, host: o.host }); // serve mode resolves the default
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
