#include <stdint.h>
// Element-wise sum of two int32 vectors.
void vadd(const int32_t *a, const int32_t *b, int32_t *c, int n) {
  for (int i = 0; i < n; i++) c[i] = a[i] + b[i];
}
