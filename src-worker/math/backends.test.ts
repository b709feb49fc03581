// The backend registry: every listed backend loads under its own name, implements every kernel
// and hands out zeroed buffers; an unlisted name is refused with the list of available ones.
import { describe, expect, it } from 'vitest';
import type { BackendName, Kernels } from './backend';
import { availableBackends, BACKEND_NAMES, createBackend, UnknownBackendError } from './backends';

// Every kernel of the contract; `satisfies` makes this list fail to compile when it falls behind.
const KERNEL_NAMES = Object.keys({
  encoderForward: 0,
  encoderBackward: 0,
  layernormForward: 0,
  layernormBackward: 0,
  matmulForward: 0,
  matmulBackward: 0,
  matmulTransposedForward: 0,
  matmulTransposedBackward: 0,
  attentionForward: 0,
  attentionBackward: 0,
  geluForward: 0,
  geluBackward: 0,
  residualForward: 0,
  residualBackward: 0,
  crossEntropyForward: 0,
  crossEntropyBackward: 0,
  adamwUpdate: 0,
  sgdMomentumUpdate: 0,
  sumSquares: 0,
  scale: 0,
} satisfies Record<keyof Kernels, 0>);

describe('backend registry', () => {
  it('lists the reference ts backend', () => {
    expect(BACKEND_NAMES).toContain('ts');
  });

  it('loads every listed backend under its own name, with every kernel', async () => {
    const backends = await availableBackends();
    expect(backends.map((b) => b.name)).toEqual([...BACKEND_NAMES]);
    for (const backend of backends) {
      for (const kernel of KERNEL_NAMES)
        expect(typeof backend[kernel as keyof Kernels], kernel).toBe('function');
    }
  });

  it('hands out zeroed buffers of the requested length', async () => {
    for (const backend of await availableBackends()) {
      const f = backend.allocF32(5);
      const i = backend.allocI32(3);
      expect(Array.from(f)).toEqual([0, 0, 0, 0, 0]);
      expect(Array.from(i)).toEqual([0, 0, 0]);
    }
  });

  it('refuses a backend it does not have, naming the ones it has', async () => {
    await expect(createBackend('no-such-backend' as BackendName)).rejects.toThrow(UnknownBackendError);
    await expect(createBackend('no-such-backend' as BackendName)).rejects.toThrow(/available: ts/);
  });
});
