// The charts' x-axis: a step, the tokens seen by then, or the training time by then. Tokens and
// time are known only at logged steps, so steps in between are interpolated linearly.

import type { MetricPoint } from '../../../src-main/api';

export type XAxisKind = 'step' | 'tokens' | 'time';

export const X_AXIS_LABEL: Record<XAxisKind, string> = {
  step: 'step',
  tokens: 'tokens seen',
  time: 'training time (s)',
};

/** step → x, from the run's `train/tokens_seen` or `perf/step_ms` points (sorted by step). */
export function xMapping(
  kind: XAxisKind,
  tokensSeen: readonly MetricPoint[],
  stepMs: readonly MetricPoint[],
) {
  if (kind === 'step') return (step: number): number => step;
  const anchors = kind === 'tokens' ? tokensSeen.map((p) => ({ step: p.step, x: p.value })) : elapsed(stepMs);
  return (step: number): number => interpolate(anchors, step);
}

/** Seconds of training at each logged step: each logged step time stands for the steps since the last. */
export function elapsed(stepMs: readonly MetricPoint[]): { step: number; x: number }[] {
  const out: { step: number; x: number }[] = [];
  let seconds = 0;
  let previous = 0;
  for (const p of stepMs) {
    if (Number.isFinite(p.value)) seconds += (p.value / 1000) * Math.max(1, p.step - previous);
    previous = p.step;
    out.push({ step: p.step, x: seconds });
  }
  return out;
}

export function interpolate(anchors: readonly { step: number; x: number }[], step: number): number {
  if (anchors.length === 0) return Number.NaN;
  if (step <= anchors[0].step)
    return anchors[0].step === 0 ? anchors[0].x : (anchors[0].x * step) / anchors[0].step;
  let lo = 0;
  let hi = anchors.length - 1;
  if (step >= anchors[hi].step) {
    if (hi === 0) return anchors[0].x;
    const a = anchors[hi - 1];
    const b = anchors[hi];
    return b.x + ((b.x - a.x) / Math.max(1, b.step - a.step)) * (step - b.step);
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (anchors[mid].step <= step) lo = mid;
    else hi = mid;
  }
  const a = anchors[lo];
  const b = anchors[hi];
  return a.x + ((b.x - a.x) * (step - a.step)) / (b.step - a.step);
}
