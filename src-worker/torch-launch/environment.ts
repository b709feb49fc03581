// The environment check: `python cllm_torch.py env` says which Python, torch and numpy there are,
// and which devices and collective backends torch sees. Asked once per interpreter (cached), with a
// time-out, so the Compute card, the CLI and the launcher say the same thing before a run starts.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface TorchEnvironmentReport {
  python: string;
  executable: string;
  torch: string;
  numpy: string;
  cuda: { available: boolean; devices: string[] };
  mps: boolean;
  backends: { gloo: boolean; nccl: boolean };
}

/** What the check found: a usable engine, or why not, in a sentence a person can act on. */
export type TorchEnvironment =
  | { ok: true; python: string; report: TorchEnvironmentReport; summary: string }
  | { ok: false; python: string; summary: string };

export const ENV_TIMEOUT_MS = 30_000;

const INSTALL_HINT =
  'install python3 and PyTorch (Debian/Ubuntu: `sudo apt install python3-torch`; elsewhere: `pip install torch numpy`), ' +
  'or choose the Python that has them in Settings';

/** "PyTorch 1.13.1 · CPU · gloo", "PyTorch 2.4.0 · CUDA ×2 (NVIDIA H200) · nccl, gloo". */
export function describeReport(r: TorchEnvironmentReport): string {
  const devices: string[] = [];
  if (r.cuda.available) {
    const names = [...new Set(r.cuda.devices)].join(', ');
    devices.push(`CUDA ×${r.cuda.devices.length}${names === '' ? '' : ` (${names})`}`);
  }
  if (r.mps) devices.push('MPS');
  devices.push('CPU');
  const backends = (['nccl', 'gloo'] as const).filter((b) => r.backends[b]);
  return `PyTorch ${r.torch} · ${devices.join(', ')} · ${backends.length === 0 ? 'no collective backend' : backends.join(', ')}`;
}

function isReport(v: unknown): v is TorchEnvironmentReport {
  const r = v as TorchEnvironmentReport | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.python === 'string' &&
    typeof r.torch === 'string' &&
    typeof r.cuda?.available === 'boolean' &&
    Array.isArray(r.cuda.devices) &&
    typeof r.mps === 'boolean' &&
    typeof r.backends?.gloo === 'boolean' &&
    typeof r.backends.nccl === 'boolean'
  );
}

/** Runs the check (no cache). */
export function probeTorchEnvironment(
  python: string,
  program: string,
  timeoutMs = ENV_TIMEOUT_MS,
): Promise<TorchEnvironment> {
  if (!existsSync(program)) {
    return Promise.resolve({
      ok: false,
      python,
      summary: `not found: the engine program is missing at ${program}; reinstall the app, or use a complete checkout.`,
    });
  }
  return new Promise((resolve) => {
    execFile(python, [program, 'env'], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const fail = (why: string): void =>
        resolve({ ok: false, python, summary: `not found: ${why}; ${INSTALL_HINT}.` });
      if (err !== null) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        if (e.code === 'ENOENT') return fail(`there is no Python interpreter "${python}"`);
        if (e.killed === true)
          return fail(`"${python} ${program} env" did not answer within ${timeoutMs / 1000} s`);
        const last = stderr.trim().split('\n').pop() ?? '';
        return fail(
          `${python} cannot run the engine (${last === '' ? `exit code ${String(e.code)}` : last})`,
        );
      }
      let report: unknown;
      try {
        report = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        return fail(`${python} ${program} env printed no JSON line`);
      }
      if (!isReport(report)) return fail(`${python} ${program} env printed an unexpected report`);
      resolve({ ok: true, python, report, summary: describeReport(report) });
    });
  });
}

const cache = new Map<string, Promise<TorchEnvironment>>();

/** The check for this interpreter and program, run once per process (`fresh` asks again). */
export function checkTorchEnvironment(
  python: string,
  program: string,
  options: { fresh?: boolean; timeoutMs?: number } = {},
): Promise<TorchEnvironment> {
  const key = `${python}\0${program}`;
  const known = cache.get(key);
  if (known !== undefined && options.fresh !== true) return known;
  const probe = probeTorchEnvironment(python, program, options.timeoutMs);
  cache.set(key, probe);
  return probe;
}

/** Why `python` cannot serve as the engine's interpreter (it does not exist or does not run), or null. */
export function interpreterProblem(python: string, timeoutMs = 15_000): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      python,
      ['-c', 'import sys; print(sys.version_info[0])'],
      { timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout) => {
        if (err === null) {
          resolve(stdout.trim() === '3' ? null : `${python} is not Python 3`);
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT')
          resolve(`there is no program "${python}" (give a name on PATH, e.g. python3, or a full path)`);
        else if (e.code === 'EACCES') resolve(`${python} cannot be run (it is not executable)`);
        else if (e.killed === true) resolve(`${python} did not answer within ${timeoutMs / 1000} s`);
        else resolve(`${python} does not run Python code (${err.message.split('\n')[0]})`);
      },
    );
  });
}
