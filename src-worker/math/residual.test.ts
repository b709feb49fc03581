// Residual add forward and backward on every backend.
import { describe, it } from 'vitest';
import { Rng } from '../util/rng';
import { checkKernel, dirtyF32, randomTensor } from './testing/gradcheck';
import { availableBackends } from './backends';

describe.each(await availableBackends())('residual on the $name backend', (backend) => {
  it('adds, and sends the upstream gradient unchanged to both inputs', () => {
    const n = 37;
    const rng = new Rng(2);
    checkKernel(backend, {
      inputs: { a: randomTensor(rng, n), b: randomTensor(rng, n) },
      reference: (x) => ({ out: x.a.map((v, i) => v + x.b[i]) }),
      forward: (be, x) => {
        const out = dirtyF32(be, n);
        be.residualForward(out, x.a, x.b, n);
        return { out };
      },
      backward: (be, _x, _y, dy, dx) => be.residualBackward(dx.a, dx.b, dy.out, n),
    });
  });
});
