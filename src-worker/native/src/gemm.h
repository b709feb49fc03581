// The blocked matrix product every native matmul kernel runs, and what each instruction set
// supplies: a register-blocked micro-kernel of MR rows by NR columns for it, and its builds of
// the element-wise kernels.
#ifndef CRYSTALLINE_GEMM_H
#define CRYSTALLINE_GEMM_H

#include <stddef.h>

/*
 * c (mr×nr valid of an MR×NR tile, row stride ldc) += Σ_k ap[k·MR + i] · bp[k·NR + j], k < kc.
 * ap and bp are packed panels (zero-padded to MR and NR); each product is summed in float32 with
 * fused multiply-adds in k order, then added to c once.
 */
typedef void MicroKernel(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc, int mr, int nr);

/* One instruction set's kernels, offered to the JavaScript side under its name. */
typedef struct Isa {
  const char *name; /* the kernel path's part: 'avx512f', 'avx2-fma', 'neon' */
  int mr, nr;
  MicroKernel *kernel;
  void (*gelu_forward)(float *out, const float *inp, int n);
  void (*gelu_backward)(float *dinp, const float *inp, const float *dout, int n);
  void (*adamw)(float *params, const float *grads, float *m, float *v, int n, float lr, float beta1,
                float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float weightDecay, float c1,
                float c2);
} Isa;

/* Packing scratch of one thread (one Node-API environment): never shared between threads. */
typedef struct GemmScratch {
  float *packA; /* MC × KC */
  float *packB; /* KC × NC */
} GemmScratch;

int gemm_scratch_init(GemmScratch *s);
void gemm_scratch_free(GemmScratch *s);

/*
 * out (M,P) += A·B with A[i,k] = a[i·aRow + k·aK], B[k,j] = b[k·bK + j·bCol] (strides in floats):
 * every product of both weight layouts (forward, dinp, dweight) without transposing anything.
 * The summation order depends only on the shape and the instruction set.
 */
void gemm(const Isa *isa, GemmScratch *s, float *out, const float *a, ptrdiff_t aRow, ptrdiff_t aK,
          const float *b, ptrdiff_t bK, ptrdiff_t bCol, int M, int P, int K);

/* The instruction sets this CPU runs, best first, ending with NULL. */
const Isa *const *supported_isas(void);

#endif
