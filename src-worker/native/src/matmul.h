// The engine's four matmul kernels (see src-worker/math/matmul.ts for their definition and the
// weight layouts): the same contract as the TypeScript and WebAssembly versions.
#ifndef CRYSTALLINE_MATMUL_H
#define CRYSTALLINE_MATMUL_H

#include "gemm.h"

/* out (N,OC) = inp (N,C) · weight (C,OC) + bias (OC); bias may be NULL. */
void matmul_forward(const Isa *isa, GemmScratch *s, float *out, const float *inp, const float *weight,
                    const float *bias, int N, int C, int OC);
/* dinp (N,C) += dout·weightᵀ; dweight (C,OC) += inpᵀ·dout; dbias (OC) += Σ_n dout (may be NULL). */
void matmul_backward(const Isa *isa, GemmScratch *s, float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int C, int OC);
/* out (N,OC) = inp (N,C) · weightᵀ with weight (OC,C): the tied LM head. */
void matmul_transposed_forward(const Isa *isa, GemmScratch *s, float *out, const float *inp, const float *weight,
                               int N, int C, int OC);
/* dinp (N,C) += dout·weight; dweight (OC,C) += doutᵀ·inp. */
void matmul_transposed_backward(const Isa *isa, GemmScratch *s, float *dinp, float *dweight, const float *dout,
                                const float *inp, const float *weight, int N, int C, int OC);

#endif
