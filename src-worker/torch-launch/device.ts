// The torch device a run trains on: `auto` resolved against what the environment check found, and
// an explicit choice refused when torch cannot see that device.

import type { DeviceChoice } from '../train/run-rules';
import type { TorchEnvironmentReport } from './environment';
import { describeReport } from './environment';
import type { TorchDevice } from './job';

/** The chosen device does not exist here. */
export class DeviceUnavailableError extends Error {
  override name = 'DeviceUnavailableError';
}

/** CUDA where torch sees a GPU, else MPS, else the CPU; a named device must be there. */
export function resolveDevice(
  choice: DeviceChoice,
  env: TorchEnvironmentReport,
  setting = 'device',
): TorchDevice {
  const available = { cuda: env.cuda.available && env.cuda.devices.length > 0, mps: env.mps, cpu: true };
  if (choice === 'auto') return available.cuda ? 'cuda' : available.mps ? 'mps' : 'cpu';
  if (!available[choice]) {
    throw new DeviceUnavailableError(
      `${setting} ${choice}: torch sees no ${choice === 'cuda' ? 'CUDA GPU' : 'MPS device'} here (${describeReport(env)}); choose auto or cpu`,
    );
  }
  return choice;
}

/** Ranks on this machine when none were asked for: one per GPU on CUDA, else one. */
export function defaultProcesses(device: TorchDevice, env: TorchEnvironmentReport): number {
  return device === 'cuda' ? Math.max(1, env.cuda.devices.length) : 1;
}
