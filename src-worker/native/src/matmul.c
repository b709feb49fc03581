// The four matmul kernels as products of the blocked gemm, with the strides that read each
// operand in place (the same decomposition as src-worker/math/matmul.ts).
#include "matmul.h"

#include <string.h>

void matmul_forward(const Isa *isa, GemmScratch *s, float *out, const float *inp, const float *weight,
                    const float *bias, int N, int C, int OC) {
  for (int n = 0; n < N; n++) {
    float *row = out + (ptrdiff_t)n * OC;
    if (bias == NULL) memset(row, 0, (size_t)OC * sizeof(float));
    else memcpy(row, bias, (size_t)OC * sizeof(float));
  }
  gemm(isa, s, out, inp, C, 1, weight, OC, 1, N, OC, C);
}

/* dbias[oc] += Σ_n dout[n,oc], each column summed in double in row order, 64 columns at a time. */
static void column_sums(float *dbias, const float *dout, int N, int OC) {
  enum { W = 64 };
  for (int j0 = 0; j0 < OC; j0 += W) {
    const int w = OC - j0 < W ? OC - j0 : W;
    double acc[W] = {0};
    for (int n = 0; n < N; n++) {
      const float *row = dout + (ptrdiff_t)n * OC + j0;
      for (int j = 0; j < w; j++) acc[j] += row[j];
    }
    for (int j = 0; j < w; j++) dbias[j0 + j] += (float)acc[j];
  }
}

void matmul_backward(const Isa *isa, GemmScratch *s, float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int C, int OC) {
  // dinp: A = dout (rows n, k = oc), B[k=oc, j=c] = weight[c·OC + oc].
  gemm(isa, s, dinp, dout, OC, 1, weight, 1, OC, N, C, OC);
  // dweight: A[i=c, k=n] = inp[n·C + c], B[k=n, j=oc] = dout[n·OC + oc].
  gemm(isa, s, dweight, inp, 1, C, dout, OC, 1, C, OC, N);
  if (dbias != NULL) column_sums(dbias, dout, N, OC);
}

void matmul_transposed_forward(const Isa *isa, GemmScratch *s, float *out, const float *inp, const float *weight,
                               int N, int C, int OC) {
  memset(out, 0, (size_t)N * (size_t)OC * sizeof(float));
  // B[k=c, j=oc] = weight[oc·C + c].
  gemm(isa, s, out, inp, C, 1, weight, 1, C, N, OC, C);
}

void matmul_transposed_backward(const Isa *isa, GemmScratch *s, float *dinp, float *dweight, const float *dout,
                                const float *inp, const float *weight, int N, int C, int OC) {
  // dinp: A = dout (rows n, k = oc), B[k=oc, j=c] = weight[oc·C + c].
  gemm(isa, s, dinp, dout, OC, 1, weight, C, 1, N, C, OC);
  // dweight: A[i=oc, k=n] = dout[n·OC + oc], B[k=n, j=c] = inp[n·C + c].
  gemm(isa, s, dweight, dout, 1, OC, inp, C, 1, OC, C, N);
}
