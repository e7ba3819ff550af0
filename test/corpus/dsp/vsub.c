#include <stdint.h>
// Element-wise difference of int64 vectors.
void vsub(const int64_t *a, const int64_t *b, int64_t *c, int n) {
  for (int i = 0; i < n; i++) c[i] = a[i] - b[i];
}
