import { createWasmBackend } from '../src-worker/math/wasm/wasm-backend';
import { MODEL_PRESETS, PRESET_BATCH } from '../src-worker/model/config';
import { Gpt } from '../src-worker/model/gpt';
import { Optimizer } from '../src-worker/train/optimizer';
import { LocalGradients } from '../src-worker/train/gradients';
import { clipFactor } from '../src-worker/train/clip';
import { Rng } from '../src-worker/util/rng';
const preset = (process.argv[2] ?? 'tiny') as 'tiny' | 'small';
const be = await createWasmBackend({ kernelPath: process.argv[3] as never });
const times = new Map<string, number>();
for (const key of Object.keys(be)) {
  const f = (be as any)[key];
  if (typeof f !== 'function' || key.startsWith('alloc')) continue;
  (be as any)[key] = (...a: unknown[]) => { const t = performance.now(); const r = f(...a); const dt = performance.now() - t; times.set(key, (times.get(key) ?? 0) + dt);
    if (key === 'matmulForward' && process.env.SHOW) { const [N, C, OC] = a.slice(-3) as number[]; console.log('fwd', N, C, OC, (2*N*C*OC/dt/1e6).toFixed(1)); }
    return r; };
}
const shape = MODEL_PRESETS[preset]; const B = PRESET_BATCH[preset]; const T = shape.contextLength;
const model = new Gpt(be, { vocabSize: 65, ...shape }, B, T);
const rng = new Rng(1); model.init(rng);
const opt = new Optimizer(be, { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, model.params, model.grads, model.layout.specs);
const g = new LocalGradients(be, model, opt);
const inp = new Int32Array(B*T).map(() => rng.int(65)); const tg = new Int32Array(B*T).map(() => rng.int(65));
let total = 0;
for (let i = 0; i < 8; i++) { if (i === 2) { times.clear(); total = 0; } const t = performance.now(); g.zeroGrad(); g.accumulate(inp, tg, B, T, 1); const n = Math.sqrt(g.gather()); g.update(3e-4, clipFactor(n, 1)); total += performance.now() - t; }
const sum = [...times.values()].reduce((a, b) => a + b, 0);
console.log(preset, be.kernelPath, 'step ms', (total/6).toFixed(1), 'kernels', (sum/6).toFixed(1));
for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log(k.padEnd(28), (v/6).toFixed(2), (100*v/total).toFixed(1)+'%');
