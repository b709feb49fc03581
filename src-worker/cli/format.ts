// Small formatting helpers for terminal and JSON-lines output.

import type { DoneEvent } from '../train/events';

/** "1h 02m", "3m 07s", "12s"; "–" when unknown. Rounded once, so never "4m 60s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/** One JSON object and a newline; non-finite numbers become null (JSON has no NaN). */
export function jsonLine(value: Record<string, unknown>): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) +
    '\n'
  );
}

/** The summary's last line: losses (the best is the run's lowest validation loss), speed, time. */
export function finalLine(done: DoneEvent): string {
  const loss = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '–');
  const best =
    Number.isFinite(done.bestValLoss) && done.bestValLoss < done.valLoss
      ? ` (best ${loss(done.bestValLoss)})`
      : Number.isFinite(done.valLoss)
        ? " (the run's best)"
        : '';
  return (
    `Final: train loss ${loss(done.trainLoss)}, validation loss ${loss(done.valLoss)}${best}, ` +
    `${Math.round(done.tokensPerSecond)} tokens/s, ${formatDuration(done.seconds)}.`
  );
}
