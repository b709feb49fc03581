// The arm64 micro-kernel (Apple silicon, arm64 Linux): NEON is part of every AArch64 CPU, so it
// needs no probe. Compiled and run only on arm64; the x86 machine this was written on cannot test it.
#include "elementwise.h"
#include "gemm.h"

#if defined(__aarch64__)
#include <arm_neon.h>

/* 8 rows × 8 columns = 16 q-register accumulators, 2 for B (of 32 registers). */
static void kernel_neon(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc, int mr, int nr) {
  enum { MR = 8, NR = 8 };
  float32x4_t acc[MR][2];
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
  for (int k = 0; k < kc; k++, ap += MR, bp += NR) {
    const float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4);
    for (int i = 0; i < MR; i++) {
      acc[i][0] = vfmaq_n_f32(acc[i][0], b0, ap[i]);
      acc[i][1] = vfmaq_n_f32(acc[i][1], b1, ap[i]);
    }
  }
  float tile[MR * NR];
  for (int i = 0; i < MR; i++) {
    vst1q_f32(tile + i * NR, acc[i][0]);
    vst1q_f32(tile + i * NR + 4, acc[i][1]);
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] += tile[i * NR + j];
}

ELEMENTWISE_KERNELS(neon, )

static const Isa NEON = {"neon", 8, 8, kernel_neon, gelu_forward_neon, gelu_backward_neon, adamw_neon};

const Isa *const *supported_isas(void) {
  static const Isa *const found[] = {&NEON, NULL};
  return found;
}

#endif
