// AdamW against a two-step example worked by hand, on every backend.
import { describe, expect, it } from 'vitest';
import { availableBackends } from './backends';

// lr 0.1, β1 0.9, β2 0.999, eps 1e-8, weight decay 0.01, three parameters:
// p0 = 1, g = 0.5 then −0.25:
//   t=1: m = 0.05, v = 0.00025, m̂ = 0.05/0.1 = 0.5, v̂ = 0.00025/0.001 = 0.25
//        p = 1 − 0.1·(0.5/0.5 + 0.01·1) = 0.899  (bias correction makes step 1 a full lr step)
//   t=2: m = 0.9·0.05 − 0.1·0.25 = 0.02, v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
//        m̂ = 0.02/0.19, v̂ = 0.00031225/0.001999, p = 0.899 − 0.1·(0.266337 + 0.00899) = 0.871467
// p1 = −2, g = −0.001 then 0.003: with bias correction step 1 is ≈ lr·sign(g) however small g is:
//   t=1: p = −2 − 0.1·(−0.001/(0.001 + 1e-8) + 0.01·(−2)) = −1.898001
//   t=2: m = 0.00021, v = 9.999e-9, p = −1.945522
// p2 = 3, g = 0 twice: only the decoupled decay acts, p ← p·(1 − lr·wd) = p·0.999 each step:
//   t=1: 2.997, t=2: 2.994003. (Adam with L2 in the gradient would take full ±lr steps here.)
const EXPECTED = [
  { m: 0.05, v: 0.00025, p: 0.899 },
  { m: 0.02, v: 0.00031225, p: 0.8714673 },
  { m: -0.0001, v: 1e-9, p: -1.898001 },
  { m: 0.00021, v: 9.999e-9, p: -1.9455218 },
  { m: 0, v: 0, p: 2.997 },
  { m: 0, v: 0, p: 2.994003 },
];

/** Float32 state holds about 7 significant digits: agree to 1e-6 relative (exactly, for 0). */
function expectNear(got: number, want: number): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want));
}

describe.each(await availableBackends())('adamw on the $name backend', (backend) => {
  it('matches a hand-computed two-step example (bias correction, decoupled decay)', () => {
    const params = backend.allocF32(3);
    params.set([1, -2, 3]);
    const grads = backend.allocF32(3);
    const m = backend.allocF32(3);
    const v = backend.allocF32(3);
    const stepGrads = [
      [0.5, -0.001, 0],
      [-0.25, 0.003, 0],
    ];
    for (let t = 1; t <= 2; t++) {
      grads.set(stepGrads[t - 1]);
      backend.adamwUpdate(params, grads, m, v, 3, 0.1, 0.9, 0.999, 1e-8, 0.01, t);
      for (let i = 0; i < 3; i++) {
        const want = EXPECTED[i * 2 + t - 1];
        expectNear(params[i], want.p);
        expectNear(m[i], want.m);
        expectNear(v[i], want.v);
      }
    }
  });
});
