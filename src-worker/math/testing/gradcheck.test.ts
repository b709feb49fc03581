// The harness itself: it passes a correct kernel and catches each kind of wrong one, so a green
// kernel test means something.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../util/rng';
import type { KernelCase } from './gradcheck';
import { checkKernel, dirtyF32, GradcheckError, randomTensor } from './gradcheck';
import { tsBackend } from '../ts-backend';

const N = 9;

/** y = x², with the forward and backward bodies swappable for broken ones. */
function squareCase(overrides: Partial<KernelCase> = {}): KernelCase {
  return {
    inputs: { x: randomTensor(new Rng(1), N) },
    reference: (t) => ({ y: t.x.map((v) => v * v) }),
    forward: (be, t) => {
      const y = dirtyF32(be, N);
      for (let i = 0; i < N; i++) y[i] = t.x[i] * t.x[i];
      return { y };
    },
    backward: (_be, t, _y, dy, dx) => {
      for (let i = 0; i < N; i++) dx.x[i] += 2 * t.x[i] * dy.y[i];
    },
    ...overrides,
  };
}

describe('checkKernel', () => {
  it('passes a correct kernel and reports how close it came', () => {
    const report = checkKernel(tsBackend, squareCase());
    expect(report.forwardWorst).toBeLessThan(1);
    expect(report.gradientWorst).toBeLessThan(1);
  });

  it('catches a forward that is off by 1e-5 relative', () => {
    const kase = squareCase({
      forward: (be, t) => {
        const y = be.allocF32(N);
        for (let i = 0; i < N; i++) y[i] = t.x[i] * t.x[i] * (1 + 1e-5);
        return { y };
      },
    });
    expect(() => checkKernel(tsBackend, kase)).toThrow(GradcheckError);
  });

  it('catches a forward that leaves an output element unwritten', () => {
    const kase = squareCase({
      forward: (be, t) => {
        const y = dirtyF32(be, N);
        for (let i = 1; i < N; i++) y[i] = t.x[i] * t.x[i];
        return { y };
      },
    });
    expect(() => checkKernel(tsBackend, kase)).toThrow(/forward y\[0\]/);
  });

  it('catches a forward that differs between two identical runs', () => {
    let calls = 0;
    const kase = squareCase({
      forward: (be, t) => {
        const y = be.allocF32(N);
        calls++;
        for (let i = 0; i < N; i++) y[i] = t.x[i] * t.x[i] + (calls === 2 && i === 4 ? 1e-9 : 0);
        return { y };
      },
    });
    expect(() => checkKernel(tsBackend, kase)).toThrow(/differs between two identical runs/);
  });

  it('catches a backward that overwrites instead of accumulating', () => {
    const kase = squareCase({
      backward: (_be, t, _y, dy, dx) => {
        for (let i = 0; i < N; i++) dx.x[i] = 2 * t.x[i] * dy.y[i];
      },
    });
    expect(() => checkKernel(tsBackend, kase)).toThrow(/accumulated onto pre-filled values/);
  });

  it('catches a backward documented to overwrite that accumulates', () => {
    const kase = squareCase({ gradMode: 'overwrite' });
    expect(() => checkKernel(tsBackend, kase)).toThrow(GradcheckError);
  });

  it('catches a gradient that is off by 1e-4 relative', () => {
    const kase = squareCase({
      backward: (_be, t, _y, dy, dx) => {
        for (let i = 0; i < N; i++) dx.x[i] += 2 * t.x[i] * dy.y[i] * (1 + 1e-4);
      },
    });
    expect(() => checkKernel(tsBackend, kase)).toThrow(/gradient of x/);
  });
});
