// The environment check says in one line what there is, or what is missing and what to do.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { describeReport, probeTorchEnvironment } from './environment';

const PYTHON = '/usr/bin/python3';
const FAKE = fileURLToPath(new URL('./test-support/fake_torch.py', import.meta.url));
const hasPython = spawnSync(PYTHON, ['--version']).status === 0;

afterEach(() => {
  delete process.env.FAKE_TORCH;
});

describe('the PyTorch environment check', () => {
  it('names the version, devices and collective backends', () => {
    const base = {
      python: '3.11.2',
      executable: '/usr/bin/python3',
      torch: '1.13.1',
      numpy: '1.24.2',
      mps: false,
      cuda: { available: false, devices: [] },
      backends: { gloo: true, nccl: false },
    };
    expect(describeReport(base)).toBe('PyTorch 1.13.1 · CPU · gloo');
    expect(
      describeReport({
        ...base,
        cuda: { available: true, devices: ['NVIDIA H200', 'NVIDIA H200'] },
        backends: { gloo: true, nccl: true },
      }),
    ).toBe('PyTorch 1.13.1 · CUDA ×2 (NVIDIA H200), CPU · nccl, gloo');
  });

  it.skipIf(!hasPython)('reads the program’s report', async () => {
    const env = await probeTorchEnvironment(PYTHON, FAKE);
    expect(env).toMatchObject({ ok: true, summary: 'PyTorch 1.13.1 · CPU · gloo' });
  });

  it.skipIf(!hasPython)('without torch: "not found", the reason, and how to install it', async () => {
    process.env.FAKE_TORCH = 'missing';
    const env = await probeTorchEnvironment(PYTHON, FAKE);
    expect(env.ok).toBe(false);
    expect(env.summary).toMatch(/^not found: .*No module named 'torch'.*install python3 and PyTorch/);
  });

  it('an interpreter that does not exist is named', async () => {
    const env = await probeTorchEnvironment('/nonexistent/python3', FAKE);
    expect(env.ok).toBe(false);
    expect(env.summary).toContain('there is no Python interpreter "/nonexistent/python3"');
  });
});
