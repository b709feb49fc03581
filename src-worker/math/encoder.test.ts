// Token + position embedding forward and backward on every backend, with repeated tokens (whose
// gradients must add up) and a position table longer than the sequence (unused rows get nothing).
import { describe, it } from 'vitest';
import { Rng } from '../util/rng';
import { checkKernel, dirtyF32, randomTensor } from './testing/gradcheck';
import { availableBackends } from './backends';

describe.each(await availableBackends())('encoder on the $name backend', (backend) => {
  it('matches reference and gradients, repeated tokens included', () => {
    const [B, T, C, V, maxT] = [2, 3, 4, 5, 4];
    const tokens = [1, 3, 1, 4, 1, 0];
    const inp = backend.allocI32(B * T);
    inp.set(tokens);
    const rng = new Rng(4);
    checkKernel(backend, {
      inputs: { wte: randomTensor(rng, V * C), wpe: randomTensor(rng, maxT * C) },
      reference: (x) => {
        const out = new Float64Array(B * T * C);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            for (let i = 0; i < C; i++) {
              out[(b * T + t) * C + i] = x.wte[tokens[b * T + t] * C + i] + x.wpe[t * C + i];
            }
          }
        }
        return { out };
      },
      forward: (be, x) => {
        const out = dirtyF32(be, B * T * C);
        be.encoderForward(out, inp, x.wte, x.wpe, B, T, C);
        return { out };
      },
      backward: (be, _x, _y, dy, dx) => be.encoderBackward(dx.wte, dx.wpe, dy.out, inp, B, T, C),
    });
  });
});
