// The cache-blocked driver of the matrix product (the loop nest of BLIS/GotoBLAS): B is packed
// KC×NC at a time into panels of NR columns, A MC×KC at a time into panels of MR rows, and the
// micro-kernel multiplies one A panel by one B panel. With the B panel (KC·NR floats) in L1 and
// the packed A block in L2, the micro-kernel's loads hit cache and it runs at the FMA units' pace.
// Packing reads A and B through arbitrary strides, so the transposed operands of the backward
// products cost a copy of O(M·K + K·P), not a transpose pass of their own.
#include "gemm.h"

#include <stdlib.h>
#include <string.h>

enum {
  KC = 256, /* depth of a block: a B panel of KC·NR floats stays in L1 (32 KiB at NR = 32) */
  MC = 96,  /* rows of a packed A block (a multiple of every MR): 96 KiB, in L2 */
  NC = 1536 /* columns of a packed B block: the widest product of the presets in one pass */
};
/* Panels are padded to a whole MR or NR; 16 and 32 bound every instruction set's MR and NR. */
enum { PACK_A_FLOATS = (MC + 16) * KC, PACK_B_FLOATS = KC * (NC + 32) };

static float *alloc_floats(size_t n) {
  return aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
}

int gemm_scratch_init(GemmScratch *s) {
  s->packA = alloc_floats(PACK_A_FLOATS);
  s->packB = alloc_floats(PACK_B_FLOATS);
  if (s->packA == NULL || s->packB == NULL) {
    gemm_scratch_free(s);
    return 0;
  }
  return 1;
}

void gemm_scratch_free(GemmScratch *s) {
  free(s->packA);
  free(s->packB);
  s->packA = s->packB = NULL;
}

static int min_int(int a, int b) { return a < b ? a : b; }

/* dst[panel][k][i] = A[ir + i, k] for panels of MR rows; rows past mc are zero. */
static void pack_a(int MR, float *dst, const float *a, ptrdiff_t aRow, ptrdiff_t aK, int mc, int kc) {
  for (int ir = 0; ir < mc; ir += MR) {
    const int mr = min_int(MR, mc - ir);
    const float *src = a + ir * aRow;
    for (int k = 0; k < kc; k++) {
      for (int i = 0; i < mr; i++) dst[i] = src[i * aRow + k * aK];
      for (int i = mr; i < MR; i++) dst[i] = 0.0f;
      dst += MR;
    }
  }
}

/* dst[panel][k][j] = B[k, jr + j] for panels of NR columns; columns past nc are zero. */
static void pack_b(int NR, float *dst, const float *b, ptrdiff_t bK, ptrdiff_t bCol, int kc, int nc) {
  for (int jr = 0; jr < nc; jr += NR) {
    const int nr = min_int(NR, nc - jr);
    const float *src = b + jr * bCol;
    if (bCol == 1 && nr == NR) {
      for (int k = 0; k < kc; k++) memcpy(dst + k * NR, src + k * bK, NR * sizeof(float));
    } else {
      for (int k = 0; k < kc; k++) {
        for (int j = 0; j < nr; j++) dst[k * NR + j] = src[k * bK + j * bCol];
        for (int j = nr; j < NR; j++) dst[k * NR + j] = 0.0f;
      }
    }
    dst += kc * NR;
  }
}

void gemm(const Isa *isa, GemmScratch *s, float *out, const float *a, ptrdiff_t aRow, ptrdiff_t aK,
          const float *b, ptrdiff_t bK, ptrdiff_t bCol, int M, int P, int K) {
  const int MR = isa->mr, NR = isa->nr;
  for (int jc = 0; jc < P; jc += NC) {
    const int nc = min_int(NC, P - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = min_int(KC, K - pc);
      pack_b(NR, s->packB, b + pc * bK + jc * bCol, bK, bCol, kc, nc);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = min_int(MC, M - ic);
        pack_a(MR, s->packA, a + ic * aRow + pc * aK, aRow, aK, mc, kc);
        for (int jr = 0; jr < nc; jr += NR) {
          for (int ir = 0; ir < mc; ir += MR) {
            isa->kernel(kc, s->packA + ir * kc, s->packB + jr * kc, out + (ptrdiff_t)(ic + ir) * P + jc + jr, P,
                        min_int(MR, mc - ir), min_int(NR, nc - jr));
          }
        }
      }
    }
  }
}
