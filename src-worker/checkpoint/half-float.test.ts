// float32 → F16/BF16 rounds to nearest, ties to even, with the IEEE edge cases (overflow to Inf,
// subnormals, NaN, -0); F16/BF16 → float32 is exact. Checked on named cases and against a
// reference that picks the nearest representable value by plain arithmetic.

import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32BitsToBf16,
  f32BitsToF16,
  float32Bits,
  float32FromBits,
} from './half-float';

const toF16 = (x: number): number => f32BitsToF16(float32Bits(x));
const toBf16 = (x: number): number => f32BitsToBf16(float32Bits(x));
const fromF16 = (h: number): number => float32FromBits(f16BitsToF32(h));
const fromBf16 = (b: number): number => float32FromBits(bf16BitsToF32(b));

/**
 * Every 16-bit pattern that does not come back unchanged through float32, given the format's
 * exponent and mantissa masks: a NaN (all exponent bits, some mantissa bits) must only stay a NaN.
 */
function roundTripFailures(
  from: (bits: number) => number,
  to: (x: number) => number,
  exponent: number,
  mantissa: number,
): number[] {
  const wrong: number[] = [];
  for (let bits = 0; bits < 0x10000; bits++) {
    const isNaN = (bits & exponent) === exponent && (bits & mantissa) !== 0;
    if (isNaN ? !Number.isNaN(from(bits)) : to(from(bits)) !== bits) wrong.push(bits);
  }
  return wrong;
}

describe('float32 → F16', () => {
  it('converts the named cases exactly', () => {
    expect(toF16(1.0)).toBe(0x3c00);
    expect(toF16(-2.0)).toBe(0xc000);
    expect(toF16(65504)).toBe(0x7bff); // largest finite half
    expect(toF16(65519.99)).toBe(0x7bff); // just under the midpoint to Inf
    expect(toF16(65520)).toBe(0x7c00); // the midpoint rounds to even: Inf
    expect(toF16(1e10)).toBe(0x7c00);
    expect(toF16(-1e10)).toBe(0xfc00);
    expect(toF16(Infinity)).toBe(0x7c00);
    expect(toF16(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toF16(2 ** -25)).toBe(0x0000); // half of it: ties to even, 0
    expect(toF16(1.5 * 2 ** -25)).toBe(0x0001);
    expect(toF16(3 * 2 ** -25)).toBe(0x0002); // 1.5 · 2^-24: tie between 1 and 2, even is 2
    expect(toF16(2 ** -14)).toBe(0x0400); // smallest normal
    expect(toF16(2 ** -14 - 2 ** -25)).toBe(0x0400); // largest subnormal + half ulp: ties up to even
    expect(toF16(-0)).toBe(0x8000);
    expect(toF16(0)).toBe(0x0000);
    expect(toF16(1e-30)).toBe(0x0000);
    expect(toF16(float32FromBits(0x00000001))).toBe(0x0000); // float32 subnormal
    expect(toF16(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1+2^-10: even is 1
    expect(toF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 1+2^-10 and 1+2^-9: even is the latter
  });

  it('keeps NaN a NaN, with its sign', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xffc00000, 0x7fa00000]) {
      const h = f32BitsToF16(bits);
      expect(h & 0x7c00).toBe(0x7c00);
      expect(h & 0x3ff).not.toBe(0);
      expect(h >>> 15).toBe(bits >>> 31);
    }
  });

  it('round-trips every half exactly through float32', () => {
    expect(roundTripFailures(fromF16, toF16, 0x7c00, 0x3ff)).toEqual([]);
    expect(fromF16(0x0001)).toBe(2 ** -24);
    expect(fromF16(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(fromF16(0x8000), -0)).toBe(true);
    expect(fromF16(0xfc00)).toBe(-Infinity);
  });

  it('rounds every midpoint between two halves to the even one, and its neighbours to the nearer', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (fromF16(h) + fromF16(h + 1)) / 2; // exact in float32: one more significand bit
      const below = float32FromBits(float32Bits(mid) - 1);
      const above = float32FromBits(float32Bits(mid) + 1);
      const ok =
        Math.fround(mid) === mid &&
        toF16(mid) === (h % 2 === 0 ? h : h + 1) &&
        toF16(below) === h &&
        toF16(above) === h + 1;
      if (!ok) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('matches a nearest-value reference on random float32 values', () => {
    const halves = Array.from({ length: 0x7c01 }, (_, h) => fromF16(h)); // 0 … Inf, ascending
    const rng = new Rng(7);
    const wrong: number[] = [];
    for (let i = 0; i < 20000; i++) {
      // Exponents spread over the half range and beyond it.
      const x = float32FromBits(((rng.int(60) + 90) << 23) | rng.int(1 << 23));
      // k: the largest half ≤ x (binary search).
      let k = 0;
      let top = halves.length - 1;
      while (k < top) {
        const m = (k + top + 1) >> 1;
        if (halves[m] <= x) k = m;
        else top = m - 1;
      }
      const below = halves[k];
      // Past 65504 the next step up is Inf, as if a half 65536 existed (IEEE overflow rule).
      const above = halves[k + 1] === Infinity ? 65536 : halves[k + 1];
      const expected = x - below < above - x || (x - below === above - x && k % 2 === 0) ? k : k + 1;
      if (toF16(x) !== expected || toF16(-x) !== (expected | 0x8000)) wrong.push(x);
    }
    expect(wrong).toEqual([]);
  });
});

describe('float32 → BF16', () => {
  it('converts the named cases exactly', () => {
    expect(toBf16(1.0)).toBe(0x3f80);
    expect(toBf16(-2.0)).toBe(0xc000);
    expect(toBf16(-0)).toBe(0x8000);
    expect(toBf16(Infinity)).toBe(0x7f80);
    expect(toBf16(float32FromBits(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(toBf16(float32FromBits(0x3f818000))).toBe(0x3f82); // tie, rounds up to even
    expect(toBf16(float32FromBits(0x3f808001))).toBe(0x3f81); // just above the tie
    expect(toBf16(float32FromBits(0x7f7fffff))).toBe(0x7f80); // float32 max overflows to Inf
    expect(toBf16(float32FromBits(0x00000001))).toBe(0x0000); // float32 subnormal rounds to 0
    expect(toBf16(float32FromBits(0x00010000))).toBe(0x0001); // bf16 subnormals exist: kept
  });

  it('keeps NaN a NaN even when its payload is in the dropped bits', () => {
    for (const bits of [0x7f800001, 0xff800001, 0x7fc00000, 0x7fffffff]) {
      const b = f32BitsToBf16(bits);
      expect(Number.isNaN(fromBf16(b))).toBe(true);
      expect(b >>> 15).toBe(bits >>> 31);
    }
  });

  it('matches a nearest-value reference on random finite float32 values', () => {
    const rng = new Rng(8);
    const wrong: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const bits = rng.nextU32();
      if ((bits & 0x7f800000) === 0x7f800000) continue;
      const x = float32FromBits(bits);
      const truncated = bits >>> 16;
      const lo = fromBf16(truncated);
      // The next value away from zero; past the largest finite one, Inf stands where 2^128 would.
      const next = fromBf16(truncated + 1);
      const hi = Number.isFinite(next) ? next : Math.sign(next) * 2 ** 128;
      const dLo = Math.abs(x - lo);
      const dHi = Math.abs(hi - x);
      const expected = dLo < dHi || (dLo === dHi && truncated % 2 === 0) ? truncated : truncated + 1;
      if (toBf16(x) !== expected) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('round-trips every bfloat16 exactly', () => {
    expect(roundTripFailures(fromBf16, toBf16, 0x7f80, 0x7f)).toEqual([]);
  });
});
