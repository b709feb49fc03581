// The x86-64 micro-kernels, each compiled for its instruction set by a target attribute, so the
// one binary runs on any x86-64 CPU and only calls a kernel the CPU was found to support.
#include "elementwise.h"
#include "gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/*
 * AVX-512F: 12 rows × 32 columns = 24 zmm accumulators, 2 for the B row, 1 broadcast of A (of 32
 * registers). Per k: 2 loads of B and 12 broadcasts feed 24 FMAs.
 */
__attribute__((target("avx512f"))) static void kernel_avx512(int kc, const float *ap, const float *bp, float *c,
                                                               ptrdiff_t ldc, int mr, int nr) {
  enum { MR = 12, NR = 32 };
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int k = 0; k < kc; k++, ap += MR, bp += NR) {
    const __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
      const __m512 a = _mm512_set1_ps(ap[i]);
      acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
      float *row = c + i * ldc;
      _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), acc[i][0]));
      _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_loadu_ps(row + 16), acc[i][1]));
    }
  } else {
    float tile[MR * NR];
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
      _mm512_storeu_ps(tile + i * NR, acc[i][0]);
      _mm512_storeu_ps(tile + i * NR + 16, acc[i][1]);
    }
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) c[i * ldc + j] += tile[i * NR + j];
  }
}

/* AVX2 + FMA: 6 rows × 16 columns = 12 ymm accumulators, 2 for B, 1 broadcast (of 16 registers). */
__attribute__((target("avx2,fma"))) static void kernel_avx2(int kc, const float *ap, const float *bp, float *c,
                                                              ptrdiff_t ldc, int mr, int nr) {
  enum { MR = 6, NR = 16 };
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int k = 0; k < kc; k++, ap += MR, bp += NR) {
    const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m256 a = _mm256_broadcast_ss(ap + i);
      acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      float *row = c + i * ldc;
      _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), acc[i][0]));
      _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), acc[i][1]));
    }
  } else {
    float tile[MR * NR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      _mm256_storeu_ps(tile + i * NR, acc[i][0]);
      _mm256_storeu_ps(tile + i * NR + 8, acc[i][1]);
    }
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) c[i * ldc + j] += tile[i * NR + j];
  }
}

ELEMENTWISE_KERNELS(avx512, __attribute__((target("avx512f"))))
ELEMENTWISE_KERNELS(avx2, __attribute__((target("avx2,fma"))))

static const Isa AVX512F = {"avx512f", 12, 32, kernel_avx512, gelu_forward_avx512, gelu_backward_avx512,
                             adamw_avx512};
static const Isa AVX2_FMA = {"avx2-fma", 6, 16, kernel_avx2, gelu_forward_avx2, gelu_backward_avx2,
                              adamw_avx2};

const Isa *const *supported_isas(void) {
  static const Isa *found[3];
  static int probed = 0;
  if (!probed) {
    // Racing threads write the same values; the CPU's features do not change.
    __builtin_cpu_init();
    int n = 0;
    if (__builtin_cpu_supports("avx512f")) found[n++] = &AVX512F;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) found[n++] = &AVX2_FMA;
    found[n] = NULL;
    probed = 1;
  }
  return found;
}

#endif
