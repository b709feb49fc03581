// The `ts` backend: the reference kernels in plain TypeScript over ordinary typed arrays. It is
// the readable definition of every kernel that faster backends are tested against.
import type { Backend } from './backend';
import { adamwUpdate } from './adamw';
import { attentionBackward, attentionForward } from './attention';
import { crossEntropyBackward, crossEntropyForward } from './cross-entropy';
import { encoderBackward, encoderForward } from './encoder';
import { geluBackward, geluForward } from './gelu';
import { layernormBackward, layernormForward } from './layernorm';
import { matmulBackward, matmulForward, matmulTransposedBackward, matmulTransposedForward } from './matmul';
import { scale, sumSquares } from './norm';
import { residualBackward, residualForward } from './residual';
import { sgdMomentumUpdate } from './sgd';

export const tsBackend: Backend = {
  name: 'ts',
  kernelPath: 'ts-scalar',
  allocF32: (n) => new Float32Array(n),
  allocI32: (n) => new Int32Array(n),
  encoderForward,
  encoderBackward,
  layernormForward,
  layernormBackward,
  matmulForward,
  matmulBackward,
  matmulTransposedForward,
  matmulTransposedBackward,
  attentionForward,
  attentionBackward,
  geluForward,
  geluBackward,
  residualForward,
  residualBackward,
  crossEntropyForward,
  crossEntropyBackward,
  adamwUpdate,
  sgdMomentumUpdate,
  sumSquares,
  scale,
};
