// Conversions between float32 and the two 16-bit formats safetensors files use: IEEE binary16
// (F16) and bfloat16 (BF16). float32 → 16 bit rounds to nearest, ties to even; 16 bit → float32
// is exact. Values are handled as raw bit patterns so NaN payloads and -0 survive.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bits of `x` as a float32. */
export function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** The float32 whose bits are `bits`. */
export function float32FromBits(bits: number): number {
  u32[0] = bits;
  return f32[0];
}

/**
 * float32 bits → binary16 bits. Overflow (|x| ≥ 65520 after rounding) gives ±Inf; values below
 * the smallest subnormal half (2^-24) round to ±0 or to it; NaN stays NaN (quiet, sign and top
 * payload bits kept).
 */
export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15; // the half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e >= 1) {
    // Normal half: keep 10 of the 23 mantissa bits. A carry out of the mantissa correctly bumps
    // the exponent, up to 0x7c00 (infinity) for values that round past 65504.
    const h = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    return sign | (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1) ? h + 1 : h);
  }
  // Subnormal half (or zero): value = m · 2^-24. The float32 significand (with its implicit bit)
  // is sig · 2^(exp-150), so m = sig · 2^(exp-126) = sig >> (126 - exp), rounded.
  const shift = 126 - exp; // ≥ 14 here
  if (shift > 24) return sign; // below 2^-25: rounds to zero (float32 subnormals included)
  const sig = mant | 0x800000;
  const m = sig >>> shift;
  const rest = sig & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  // Rounding up from 0x3ff gives 0x400, the smallest normal half: also correct.
  return sign | (rest > half || (rest === half && (m & 1) === 1) ? m + 1 : m);
}

/** binary16 bits → float32 bits (exact). */
export function f16BitsToF32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  if (e !== 0) return (sign | ((e + 112) << 23) | (m << 13)) >>> 0;
  if (m === 0) return sign >>> 0;
  // Subnormal half m · 2^-24 is a normal float32: normalise the mantissa.
  let shifts = 0;
  let mm = m;
  while ((mm & 0x400) === 0) {
    mm <<= 1;
    shifts++;
  }
  return (sign | ((113 - shifts) << 23) | ((mm & 0x3ff) << 13)) >>> 0;
}

/** float32 bits → bfloat16 bits: the top 16 bits, rounded to nearest even; NaN stays NaN. */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
    // Truncation could clear every payload bit and turn NaN into Inf; force the quiet bit.
    return ((x >>> 16) | 0x0040) & 0xffff;
  }
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** bfloat16 bits → float32 bits (exact). */
export function bf16BitsToF32(b: number): number {
  return (b << 16) >>> 0;
}

/** A float32 array's bits, in place. */
function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** out[i] = convert(src[i]) over a whole array of bit patterns. */
function convertBits(
  src: Uint32Array | Uint16Array,
  out: Uint32Array | Uint16Array,
  convert: (bits: number) => number,
): void {
  for (let i = 0; i < src.length; i++) out[i] = convert(src[i]);
}

// Whole arrays; `out` must have the same length as `src`.

export function f32ToF16Array(src: Float32Array, out: Uint16Array): void {
  convertBits(bitsOf(src), out, f32BitsToF16);
}

export function f32ToBf16Array(src: Float32Array, out: Uint16Array): void {
  convertBits(bitsOf(src), out, f32BitsToBf16);
}

export function f16ToF32Array(src: Uint16Array, out: Float32Array): void {
  convertBits(src, bitsOf(out), f16BitsToF32);
}

export function bf16ToF32Array(src: Uint16Array, out: Float32Array): void {
  convertBits(src, bitsOf(out), bf16BitsToF32);
}
