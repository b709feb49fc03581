// The renderer's pure functions: smoothing, spike-keeping downsampling, the x-axis mappings, the
// config diff, the formatters and download file names.

import { describe, expect, it } from 'vitest';
import { diffConfigs, flatten } from './config-diff';
import { fileSlug } from './download';
import { downsampleMinMax } from './downsample';
import { formatBytes, formatCount, formatDuration, formatNumber, formatScientific } from './format';
import { debiasedEma } from './smoothing';
import { elapsed, interpolate, xMapping } from './x-axis';

const line = (ys: number[]) => ys.map((y, x) => ({ x, y }));

describe('debiasedEma', () => {
  it('returns the data unchanged at weight 0 and starts at the first value, not at zero', () => {
    expect(debiasedEma(line([3, 1, 2]), 0)).toEqual(line([3, 1, 2]));
    expect(debiasedEma(line([10, 10, 10]), 0.9).map((p) => p.y)).toEqual(
      [10, 10, 10].map(() => expect.closeTo(10, 12)),
    );
  });

  it('matches the debiased recurrence term by term', () => {
    const w = 0.6;
    const ys = [4, 2, 8];
    const e1 = (1 - w) * 4;
    const e2 = w * e1 + (1 - w) * 2;
    const e3 = w * e2 + (1 - w) * 8;
    const out = debiasedEma(line(ys), w).map((p) => p.y);
    expect(out[0]).toBeCloseTo(e1 / (1 - w), 12);
    expect(out[1]).toBeCloseTo(e2 / (1 - w ** 2), 12);
    expect(out[2]).toBeCloseTo(e3 / (1 - w ** 3), 12);
  });

  it('passes a NaN through without poisoning the points after it', () => {
    const out = debiasedEma(line([1, Number.NaN, 1]), 0.5).map((p) => p.y);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(1, 12);
  });

  it('refuses a weight outside [0, 1)', () => {
    expect(() => debiasedEma([], 1)).toThrow(/\[0, 1\)/);
  });
});

describe('downsampleMinMax', () => {
  it('keeps a one-point spike among a hundred thousand points', () => {
    const ys = Array.from({ length: 100_000 }, (_, i) => Math.sin(i / 1000));
    ys[54_321] = 50;
    ys[77_777] = -50;
    const out = downsampleMinMax(line(ys), 200);
    expect(out.length).toBeLessThanOrEqual(402);
    expect(out.some((p) => p.x === 54_321 && p.y === 50)).toBe(true);
    expect(out.some((p) => p.x === 77_777 && p.y === -50)).toBe(true);
  });

  it('keeps the first and last points and x order', () => {
    const out = downsampleMinMax(line(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 13)), 10);
    expect(out[0].x).toBe(0);
    expect(out[out.length - 1].x).toBe(999);
    for (let i = 1; i < out.length; i++) expect(out[i].x).toBeGreaterThan(out[i - 1].x);
  });

  it('returns short series whole', () => {
    expect(downsampleMinMax(line([1, 2, 3]), 2)).toEqual(line([1, 2, 3]));
  });
});

describe('x axis', () => {
  it('maps steps to tokens seen, interpolating between logged steps', () => {
    const toTokens = xMapping(
      'tokens',
      [
        { step: 10, value: 640 },
        { step: 20, value: 1280 },
      ],
      [],
    );
    expect(toTokens(15)).toBe(960);
    expect(toTokens(5)).toBe(320);
    expect(toTokens(30)).toBe(1920);
    expect(xMapping('step', [], [])(7)).toBe(7);
  });

  it('adds up training time from logged step times', () => {
    expect(
      elapsed([
        { step: 10, value: 100 },
        { step: 20, value: 200 },
      ]),
    ).toEqual([
      { step: 10, x: 1 },
      { step: 20, x: 3 },
    ]);
    expect(interpolate([], 3)).toBeNaN();
  });
});

describe('config diff', () => {
  it('flattens nested configs to dotted fields and marks the ones that differ', () => {
    expect([...flatten({ a: { b: 1, c: [1, 2] }, d: 'x' })]).toEqual([
      ['a.b', '1'],
      ['a.c', '[1,2]'],
      ['d', 'x'],
    ]);
    const rows = diffConfigs([
      { lr: 1, seed: 1 },
      { lr: 2, seed: 1, extra: true },
    ]);
    expect(rows).toEqual([
      { field: 'lr', values: ['1', '2'], differs: true },
      { field: 'seed', values: ['1', '1'], differs: false },
      { field: 'extra', values: ['—', 'true'], differs: true },
    ]);
  });
});

describe('formatting', () => {
  it('reads sizes, counts, durations and numbers the way a person writes them', () => {
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatCount(1_234_567)).toBe('1.23M');
    expect(formatDuration(3725)).toBe('1 h 2 min');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(formatNumber(2.345678)).toBe('2.346');
    expect(formatNumber(null)).toBe('—');
    expect([0.001, 0.0008, 0.000125, 0.00012345, 0].map(formatScientific)).toEqual([
      '1e-3',
      '8e-4',
      '1.25e-4',
      '1.23e-4',
      '0',
    ]);
  });
});

describe('fileSlug', () => {
  it('keeps letters and digits, joins the rest with single dashes, and never ends in one', () => {
    expect(fileSlug('Depth sweep #2 (copy)')).toBe('depth-sweep-2-copy');
    expect(fileSlug('  ✦✦  ')).toBe('run');
    expect(fileSlug('', 'metrics')).toBe('metrics');
    const long = fileSlug(`${'a'.repeat(59)} b`);
    expect(long).toBe('a'.repeat(59));
    expect(fileSlug('x'.repeat(80))).toHaveLength(60);
  });
});
