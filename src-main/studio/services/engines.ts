// The PyTorch engine's environment, asked with the interpreter the Settings name: what the
// Compute card shows before a run starts ("PyTorch 1.13.1 · CPU · gloo", or what is missing).

import { checkTorchEnvironment } from '../../../src-worker/torch-launch/environment';
import type { HandlersOf, StudioContext } from './context';

/** `program`: the engine program the studio's runs use (the app's cllm_torch.py unless a caller chose one). */
export function engineHandlers(ctx: StudioContext, program: string): HandlersOf<'engines'> {
  return {
    'engines.pytorch': async ({ fresh }) => {
      const python = ctx.store.settings.get().pythonPath;
      const env = await checkTorchEnvironment(python, program, { fresh });
      return {
        available: env.ok,
        python,
        summary: env.summary,
        devices: env.ok ? { cuda: env.report.cuda.devices, mps: env.report.mps } : { cuda: [], mps: false },
      };
    },
  };
}
