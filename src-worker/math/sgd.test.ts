// SGD with momentum against a two-step example worked by hand, on every backend.
import { describe, expect, it } from 'vitest';
import { availableBackends } from './backends';

// lr 0.1, μ 0.9, weight decay 0.01; buf = μ·buf + (g + wd·p); p −= lr·buf.
// p0 = 1, g = 0.5 then −0.25:
//   step 1: buf = 0.5 + 0.01 = 0.51,                        p = 1 − 0.051 = 0.949
//   step 2: buf = 0.9·0.51 + (−0.25 + 0.00949) = 0.21849,    p = 0.949 − 0.021849 = 0.927151
// p1 = −2, g = 1 twice:
//   step 1: buf = 1 − 0.02 = 0.98,                           p = −2.098
//   step 2: buf = 0.882 + (1 − 0.02098) = 1.86102,           p = −2.098 − 0.186102 = −2.284102
const EXPECTED_BUF = [
  [0.51, 0.98],
  [0.21849, 1.86102],
];
const EXPECTED_P = [
  [0.949, -2.098],
  [0.927151, -2.284102],
];

describe.each(await availableBackends())('sgd with momentum on the $name backend', (backend) => {
  it('matches a hand-computed two-step example (momentum, L2 decay)', () => {
    const params = backend.allocF32(2);
    params.set([1, -2]);
    const grads = backend.allocF32(2);
    const momentum = backend.allocF32(2);
    const stepGrads = [
      [0.5, 1],
      [-0.25, 1],
    ];
    for (let step = 0; step < 2; step++) {
      grads.set(stepGrads[step]);
      backend.sgdMomentumUpdate(params, grads, momentum, 2, 0.1, 0.9, 0.01);
      for (let i = 0; i < 2; i++) {
        expect(momentum[i]).toBeCloseTo(EXPECTED_BUF[step][i], 6);
        expect(params[i]).toBeCloseTo(EXPECTED_P[step][i], 6);
      }
    }
  });
});
