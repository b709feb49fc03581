// Element-wise kernels (GELU, AdamW) as plain C loops, inlined into each instruction set's wrapper in
// isa-*.c so the compiler vectorizes them for that set. Every multiply-add is an explicit fmaf and
// nothing else is contracted (-ffp-contract=off): each element goes through the same operations
// whatever the vector width, so every instruction set gives bitwise the same results.
#ifndef CRYSTALLINE_ELEMENTWISE_H
#define CRYSTALLINE_ELEMENTWISE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/*
 * e^x for x clamped to [−87.3, 88] (where e^x is a normal float): x = k·ln2 + r with ln2 split
 * for Cody–Waite reduction (k·0.693359375 is exact), e^r by its degree-7 minimax polynomial, then
 * × 2^k built from the exponent bits. Relative error ≈ 1e-7; the WebAssembly kernels use the same.
 */
ALWAYS_INLINE float exp_approx(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.0f ? 88.0f : x;
  const float k = rintf(x * 1.44269504088896341f);
  float r = fmaf(k, -0.693359375f, x);
  r = fmaf(k, 2.12194440e-4f, r);
  float p = fmaf(1.9875691500e-4f, r, 1.3981999507e-3f);
  p = fmaf(p, r, 8.3334519073e-3f);
  p = fmaf(p, r, 4.1665795894e-2f);
  p = fmaf(p, r, 1.6666665459e-1f);
  p = fmaf(p, r, 5.0000001201e-1f);
  p = fmaf(p, r * r, r + 1.0f);
  const int32_t bits = ((int32_t)k + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/* −2u for u = √(2/π)·(x + 0.044715·x³): GELU is x·σ(2u) = x/(1 + e^(−2u)). */
ALWAYS_INLINE float gelu_minus_2u(float x) { return -1.5957691216057308f * fmaf(x * x * x, 0.044715f, x); }

/* out (n) = gelu(inp) */
ALWAYS_INLINE void gelu_forward_body(float *restrict out, const float *restrict inp, int n) {
  for (int i = 0; i < n; i++) {
    const float x = inp[i];
    out[i] = x / (1.0f + exp_approx(gelu_minus_2u(x)));
  }
}

/*
 * dinp (n) += gelu'(inp)·dout. With h = σ(2u) and e = e^(−2u): 1 − tanh² u = 4·h²·e, so
 * gelu'(x) = h + 2·x·h²·e·du/dx, du/dx = √(2/π)·(1 + 3·0.044715·x²).
 */
ALWAYS_INLINE void gelu_backward_body(float *restrict dinp, const float *restrict inp, const float *restrict dout,
                                      int n) {
  for (int i = 0; i < n; i++) {
    const float x = inp[i];
    const float e = exp_approx(gelu_minus_2u(x));
    const float h = 1.0f / (1.0f + e);
    const float dudx = 0.7978845608028654f * fmaf(x * x, 0.134145f, 1.0f);
    const float grad = fmaf((x + x) * (h * h * e), dudx, h);
    dinp[i] = fmaf(grad, dout[i], dinp[i]);
  }
}

/*
 * One AdamW step t on n parameters, in the operation order of the WebAssembly kernel: m and v
 * updated, then p -= lr·(m·c1/(√(v·c2) + eps) + weightDecay·p) with c1 = 1/(1 − β1ᵗ),
 * c2 = 1/(1 − β2ᵗ) and 1 − β given by the caller in double precision.
 */
ALWAYS_INLINE void adamw_body(float *restrict params, const float *restrict grads, float *restrict m,
                              float *restrict v, int n, float lr, float beta1, float oneMinusBeta1, float beta2,
                              float oneMinusBeta2, float eps, float weightDecay, float c1, float c2) {
  for (int i = 0; i < n; i++) {
    const float g = grads[i], p = params[i];
    const float mi = fmaf(beta1, m[i], oneMinusBeta1 * g);
    const float vi = fmaf(beta2, v[i], oneMinusBeta2 * (g * g));
    m[i] = mi;
    v[i] = vi;
    params[i] = p - lr * fmaf(weightDecay, p, (mi * c1) / (sqrtf(vi * c2) + eps));
  }
}

/* The element-wise kernels of one instruction set, compiled with `attr` (a target attribute). */
#define ELEMENTWISE_KERNELS(suffix, attr)                                                                   \
  attr static void gelu_forward_##suffix(float *out, const float *inp, int n) { gelu_forward_body(out, inp, n); } \
  attr static void gelu_backward_##suffix(float *dinp, const float *inp, const float *dout, int n) {           \
    gelu_backward_body(dinp, inp, dout, n);                                                                  \
  }                                                                                                          \
  attr static void adamw_##suffix(float *params, const float *grads, float *m, float *v, int n, float lr,     \
                                  float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, \
                                  float weightDecay, float c1, float c2) {                                   \
    adamw_body(params, grads, m, v, n, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, c1, c2); \
  }

#endif
