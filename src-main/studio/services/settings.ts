// Settings, the data-folder choice for the next start, and what the studio knows of this machine.

import { totalmem } from 'node:os';
import { interpreterProblem } from '../../../src-worker/torch-launch/environment';
import { APP_VERSION } from '../../../src-worker/version';
import { StudioError } from '../../api';
import type { DataDirResolution } from '../data-dir';
import { checkDataFolder, describeDataFolder, saveChoice } from '../data-folder-choice';
import { defaultConcurrency } from '../store';
import type { HandlersOf, StudioContext } from './context';

/** How the data folder was decided and where a new choice is saved; undefined when it cannot change. */
export type DataFolderContext = Omit<DataDirResolution, 'dataDir'> | undefined;

export function settingsHandlers(
  ctx: StudioContext,
  dataFolder: DataFolderContext,
): HandlersOf<'settings' | 'dataFolder' | 'system'> {
  const { store, layout } = ctx;
  const folder = (): Omit<DataDirResolution, 'dataDir'> => {
    if (dataFolder === undefined) {
      throw new StudioError(
        'conflict',
        `This studio was opened on ${layout.root} by its caller, with no saved choice to change.`,
      );
    }
    return dataFolder;
  };
  return {
    'settings.get': async () => store.settings.get(),
    'settings.update': async (patch) => {
      if (patch.pythonPath !== undefined) {
        const problem = await interpreterProblem(patch.pythonPath);
        if (problem !== null) {
          throw new StudioError('invalid-input', `Python interpreter: ${problem}.`, [
            { field: 'pythonPath', message: problem },
          ]);
        }
      }
      const settings = store.settings.update(patch);
      ctx.manager.pump(); // a higher limit starts queued runs now
      return settings;
    },
    'dataFolder.get': async () => describeDataFolder(layout.root, folder()),
    'dataFolder.choose': async ({ path }) => {
      const context = folder();
      const dir = path === null ? null : await checkDataFolder(path, layout.root, context.defaultDir);
      await saveChoice(context.choiceFile, dir, context.defaultDir);
      return describeDataFolder(layout.root, context);
    },
    'system.info': async () => ({
      appVersion: APP_VERSION,
      dataDir: layout.root,
      cores: ctx.cores,
      freeMemoryBytes: ctx.freeMemory(),
      totalMemoryBytes: totalmem(),
      defaultConcurrency: defaultConcurrency(ctx.cores),
    }),
  };
}
