// Which engine trains a run, and which settings belong to which engine: `builtin` (this engine,
// worker threads on this machine's CPU: backend, threads) or `pytorch` (the Python program under
// torch.distributed: device, processes, and for several machines nnodes / node rank / master).
// The one place these rules live: the CLI and the studio's API both ask engineSettingProblems,
// each naming the settings its own way (`--threads` or `threads`).

export const ENGINES = ['builtin', 'pytorch'] as const;
export type EngineName = (typeof ENGINES)[number];

export const DEVICE_CHOICES = ['auto', 'cpu', 'cuda', 'mps'] as const;
/** auto: CUDA where torch sees a GPU, else MPS where there is one, else the CPU. */
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

/** Most ranks one machine may start. */
export const MAX_PROCESSES = 64;

/** The engine settings of a run, each present only where it was given. */
export interface EngineSettings {
  engine: EngineName;
  device?: DeviceChoice;
  processes?: number;
  threads?: number;
  backend?: string;
  nnodes?: number;
  nodeRank?: number;
  master?: string;
}

export type EngineSetting = Exclude<keyof EngineSettings, 'engine'>;

const BUILTIN_ONLY: readonly EngineSetting[] = ['threads', 'backend'];
const PYTORCH_ONLY: readonly EngineSetting[] = ['device', 'processes', 'nnodes', 'nodeRank', 'master'];

export interface EngineSettingProblem {
  setting: EngineSetting;
  message: string;
}

/**
 * What is wrong with a run's engine settings: a setting the chosen engine lacks, or a machine
 * layout that cannot be (a node rank outside the run, several machines without a master).
 * `name` renders a setting as the caller's user typed it.
 */
export function engineSettingProblems(
  s: EngineSettings,
  name: (setting: EngineSetting) => string,
): EngineSettingProblem[] {
  const problems: EngineSettingProblem[] = [];
  const other = s.engine === 'builtin' ? 'pytorch' : 'builtin';
  for (const setting of s.engine === 'builtin' ? PYTORCH_ONLY : BUILTIN_ONLY) {
    if (s[setting] === undefined) continue;
    problems.push({
      setting,
      message:
        s.engine === 'builtin'
          ? `${name(setting)} is a setting of the pytorch engine; the builtin engine trains on this machine's CPU (choose engine pytorch, or leave ${name(setting)} out)`
          : `${name(setting)} is a setting of the builtin engine; the pytorch engine ${setting === 'threads' ? `runs ${name('processes')} ranks instead` : 'uses torch'} (leave ${name(setting)} out, or choose engine ${other})`,
    });
  }
  if (s.engine !== 'pytorch') return problems;
  const nnodes = s.nnodes ?? 1;
  if (s.nodeRank !== undefined && s.nodeRank >= nnodes) {
    problems.push({
      setting: 'nodeRank',
      message: `${name('nodeRank')} ${s.nodeRank} is outside the run: with ${name('nnodes')} ${nnodes} the machines are numbered 0 to ${nnodes - 1}`,
    });
  }
  if (nnodes > 1 && s.master === undefined) {
    problems.push({
      setting: 'master',
      message: `${name('nnodes')} ${nnodes} needs ${name('master')} HOST:PORT, the address of the machine with ${name('nodeRank')} 0, the same on every machine`,
    });
  }
  return problems;
}
