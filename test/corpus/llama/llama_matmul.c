// W (d x n, row-major) @ x -> xout (llama2.c matmul; sizes as size_t, see dsp/matsub.c).
#include <stddef.h>

void llama_matmul(float *xout, const float *x, const float *w, size_t n, size_t d) {
  for (size_t i = 0; i < d; i++) {
    float val = 0.0f;
    for (size_t j = 0; j < n; j++) val += w[i * n + j] * x[j];
    xout[i] = val;
  }
}
