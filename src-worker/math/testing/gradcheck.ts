// The one harness every kernel test uses (in the spirit of tinygrad's helper_test_op): a kernel's
// forward is checked against a naive float64 reference, its backward against finite differences.
//
// Where the finite differences come from: central differences of the float64 REFERENCE, not of
// the float32 kernel. Differencing the float32 kernel needs a large step (≈1e-2) to rise above
// float32 rounding, and then rounding noise (≈1e-7·|loss|/h) and the O(h²) truncation error both
// sit near 1e-4, so tolerances would have to be loose and tests would still flake on unlucky
// seeds. In float64 a step of 1e-6 leaves both errors near 1e-10, so the only error left is the
// kernel's own float32 rounding and tolerances can be tight. The chain stays sound because the
// forward check ties the kernel to the same reference the differences are taken of.
//
// Each check also proves that backward ACCUMULATES: gradient buffers are pre-filled with random
// values, and what must come out is that value plus the gradient (or, for a kernel documented to
// overwrite, the gradient alone). And it proves determinism: two runs on fresh copies of the same
// inputs must agree bit for bit.
import type { Backend } from '../backend';
import { Rng } from '../../util/rng';

export type Tensors64 = Record<string, Float64Array>;
export type Tensors32 = Record<string, Float32Array>;

export interface KernelCase {
  /** Differentiable inputs by name; values must be float32-representable (see randomTensor). */
  inputs: Tensors64;
  /** Naive float64 reference: every output to compare with the kernel, by name. */
  reference(x: Tensors64): Tensors64;
  /** Runs the kernel forward on float32 copies of the inputs; returns its outputs (and whatever
   * backward needs) by name. Only the names the reference also returns are compared. */
  forward(backend: Backend, x: Tensors32): Tensors32;
  /** Runs the kernel backward: dy holds the upstream gradient of each loss output, dx one buffer
   * per input, pre-filled by the harness. Absent for kernels checked only forward. */
  backward?(backend: Backend, x: Tensors32, y: Tensors32, dy: Tensors32, dx: Tensors32): void;
  /** Outputs the checked loss depends on; default: every reference output. */
  lossOutputs?: readonly string[];
  /** Fixed upstream gradients by output name; default: random in [−1, 1). */
  upstream?: Tensors64;
  /** 'accumulate' (the default): backward adds into dx. 'overwrite': it replaces dx. */
  gradMode?: 'accumulate' | 'overwrite';
  /** |kernel − reference| ≤ atol + rtol·|reference| for forward outputs (defaults 2e-6, 2e-6:
   * a few float32 roundings on values of order 1, tight enough to catch a wrong constant). */
  atol?: number;
  rtol?: number;
  /** The same bound for gradients against finite differences (defaults 2e-6, 2e-5). */
  gradAtol?: number;
  gradRtol?: number;
}

/** How far the kernel was from the reference, as a fraction of the allowed error (≤ 1 passes). */
export interface CheckReport {
  forwardWorst: number;
  gradientWorst: number;
}

/** A kernel disagreed with its reference, its finite differences, or itself. */
export class GradcheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradcheckError';
  }
}

const FD_STEP = 1e-6;

/** Runs every check of `kase` on `backend`; throws GradcheckError on the first failure. */
export function checkKernel(backend: Backend, kase: KernelCase): CheckReport {
  const rng = new Rng(0x5eed);
  const names = Object.keys(kase.inputs);
  const want = kase.reference(kase.inputs);
  const lossOutputs = kase.lossOutputs ?? Object.keys(want);
  const upstream: Tensors64 = {};
  for (const o of lossOutputs) {
    if (!(o in want)) throw new GradcheckError(`loss output '${o}' is not returned by the reference`);
    upstream[o] = kase.upstream?.[o] ?? randomTensor(rng, want[o].length);
  }
  const prefill: Tensors64 = {};
  for (const name of names) prefill[name] = randomTensor(rng, kase.inputs[name].length);

  const run = (): { y: Tensors32; dx: Tensors32 | null } => {
    const x = toBackend(backend, kase.inputs);
    const y = kase.forward(backend, x);
    // A copy of what forward returned: backward may legitimately overwrite it (cross-entropy's
    // dlogits over probs).
    const yForward: Tensors32 = {};
    for (const [o, values] of Object.entries(y)) yForward[o] = Float32Array.from(values);
    if (kase.backward === undefined) return { y: yForward, dx: null };
    const dx = toBackend(backend, prefill);
    kase.backward(backend, x, y, toBackend(backend, upstream), dx);
    return { y: yForward, dx };
  };
  const first = run();
  const second = run();

  let forwardWorst = 0;
  for (const [o, ref] of Object.entries(want)) {
    const got = first.y[o];
    if (got === undefined) throw new GradcheckError(`${backend.name}: forward did not return '${o}'`);
    forwardWorst = Math.max(
      forwardWorst,
      compare(`${backend.name} forward ${o}`, got, ref, kase.atol ?? 2e-6, kase.rtol ?? 2e-6),
    );
    assertBitwiseEqual(`${backend.name} forward ${o}`, got, second.y[o]);
  }

  let gradientWorst = 0;
  if (first.dx !== null && second.dx !== null) {
    const overwrite = kase.gradMode === 'overwrite';
    for (const name of names) {
      assertBitwiseEqual(`${backend.name} gradient of ${name}`, first.dx[name], second.dx[name]);
      const fd = finiteDifferences(kase, name, lossOutputs, upstream);
      // What the buffer must hold after backward: the gradient, on top of the pre-fill unless
      // the kernel overwrites.
      const expected = overwrite ? fd : fd.map((g, i) => g + prefill[name][i]);
      gradientWorst = Math.max(
        gradientWorst,
        compare(
          `${backend.name} gradient of ${name}${overwrite ? '' : ' (accumulated onto pre-filled values)'}`,
          first.dx[name],
          expected,
          kase.gradAtol ?? 2e-6,
          kase.gradRtol ?? 2e-5,
        ),
      );
    }
  }
  return { forwardWorst, gradientWorst };
}

/** ∂L/∂input by central differences, L = Σ_o upstream_o · reference(x)_o, all in float64. */
function finiteDifferences(
  kase: KernelCase,
  name: string,
  lossOutputs: readonly string[],
  upstream: Tensors64,
): Float64Array {
  const x: Tensors64 = {};
  for (const [k, v] of Object.entries(kase.inputs)) x[k] = Float64Array.from(v);
  const loss = (): number => {
    const y = kase.reference(x);
    let l = 0;
    for (const o of lossOutputs) {
      const yo = y[o];
      const go = upstream[o];
      for (let i = 0; i < yo.length; i++) l += go[i] * yo[i];
    }
    return l;
  };
  const target = x[name];
  const grad = new Float64Array(target.length);
  for (let i = 0; i < target.length; i++) {
    const saved = target[i];
    target[i] = saved + FD_STEP;
    const plus = loss();
    target[i] = saved - FD_STEP;
    const minus = loss();
    target[i] = saved;
    grad[i] = (plus - minus) / (2 * FD_STEP);
  }
  return grad;
}

/** Worst |got − want| / (atol + rtol·|want|); throws naming the first element over 1. */
function compare(what: string, got: Float32Array, want: Float64Array, atol: number, rtol: number): number {
  if (got.length < want.length) {
    throw new GradcheckError(`${what}: buffer has ${got.length} values, reference ${want.length}`);
  }
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const allowed = atol + rtol * Math.abs(want[i]);
    const ratio = Math.abs(got[i] - want[i]) / allowed;
    if (!(ratio <= 1)) {
      throw new GradcheckError(
        `${what}[${i}]: got ${got[i]}, want ${want[i]} (|diff| ${Math.abs(got[i] - want[i]).toExponential(2)}` +
          ` > ${allowed.toExponential(2)} = atol ${atol} + rtol ${rtol}·|want|)`,
      );
    }
    worst = Math.max(worst, ratio);
  }
  return worst;
}

function assertBitwiseEqual(what: string, a: Float32Array, b: Float32Array): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) {
      throw new GradcheckError(`${what}[${i}] differs between two identical runs: ${a[i]} vs ${b[i]}`);
    }
  }
}

/** Copies float64 tensors into fresh buffers of the backend (exact: values are float32-representable). */
function toBackend(backend: Backend, tensors: Tensors64): Tensors32 {
  const out: Tensors32 = {};
  for (const [name, values] of Object.entries(tensors)) {
    out[name] = backend.allocF32(values.length);
    out[name].set(values);
  }
  return out;
}

/** A buffer of the backend filled with NaN: an output element a kernel fails to write (or adds
 * to instead of assigning) stays NaN and fails the forward comparison. */
export function dirtyF32(backend: Backend, n: number): Float32Array {
  const out = backend.allocF32(n);
  out.fill(NaN);
  return out;
}

/** n values uniform in [lo, hi), rounded to float32 so reference and kernel see the same inputs. */
export function randomTensor(rng: Rng, n: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(lo + (hi - lo) * rng.uniform());
  return out;
}
