// The engine rules of a run config: a setting the chosen engine lacks is refused with a message
// naming it (device/processes with builtin, threads with pytorch). The rules themselves are the
// engine's (src-worker/train/run-rules.ts), which the CLI asks too, so both say the same thing.

import { engineSettingProblems } from '../../src-worker/train/run-rules';
import { DEFAULT_TRAINING_THREADS } from '../../src-worker/train/run-defaults';
import type { FieldProblem } from './errors';
import type { RunConfig } from './schemas';

export function engineProblems(config: RunConfig): FieldProblem[] {
  const engine = config.engine ?? 'builtin';
  return engineSettingProblems(
    {
      engine,
      device: config.device,
      processes: config.processes,
      // backend is always in a config (the builtin engine's, and where a pytorch run would resume
      // on it); only threads, which asks for more than the default, belongs to one engine.
      threads:
        engine === 'pytorch' && config.threads !== DEFAULT_TRAINING_THREADS ? config.threads : undefined,
    },
    (setting) => setting,
  ).map((p) => ({ field: p.setting, message: p.message }));
}
